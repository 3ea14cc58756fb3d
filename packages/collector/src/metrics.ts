import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The collector's Prometheus metrics, in a registry of its own (several collectors may share a process in tests). */
export interface CollectorMetrics {
  registry: Registry;
  ingestRequests: Counter<'code'>;
  /** Counts one answered ingest request (the labelled counters are looked up once per status code). */
  countIngest(statusCode: number): void;
  recordsAccepted: Counter;
  recordsRejected: Counter;
  recordsWritten: Counter;
  recordsSetAside: Counter;
  dbWriteSeconds: Histogram;
  batchRows: Histogram;
  dbErrors: Counter;
  pendingRecords: Gauge;
  spoolBytes: Gauge;
  databaseUp: Gauge;
  invalidUtf8: Counter;
}

export function createMetrics(sample: () => { pendingRecords: number; spoolBytes: number; databaseUp: boolean }): CollectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const state = () => sample();
  const ingestRequests = new Counter({ name: 'log_collector_ingest_requests_total', help: 'Ingest requests by HTTP status code', labelNames: ['code'], registers: [registry] });
  const byCode = new Map<number, { inc(): void }>();
  return {
    registry,
    ingestRequests,
    countIngest(statusCode: number) {
      let c = byCode.get(statusCode);
      if (!c) byCode.set(statusCode, (c = ingestRequests.labels(String(statusCode))));
      c.inc();
    },
    recordsAccepted: new Counter({ name: 'log_collector_records_accepted_total', help: 'Records acknowledged (durable in the spool)', registers: [registry] }),
    recordsRejected: new Counter({ name: 'log_collector_records_rejected_total', help: 'Records refused (invalid, too many, spool full)', registers: [registry] }),
    recordsWritten: new Counter({ name: 'log_collector_records_written_total', help: 'Records committed to the database', registers: [registry] }),
    recordsSetAside: new Counter({
      name: 'log_collector_records_set_aside_total',
      help: 'Records the database refused for their content, written to DATA_DIR/rejected.ndjson instead',
      registers: [registry],
    }),
    dbWriteSeconds: new Histogram({
      name: 'log_collector_db_write_seconds',
      help: 'Duration of one batch transaction in the database',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: 'log_collector_batch_rows',
      help: 'Rows per database batch',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    dbErrors: new Counter({ name: 'log_collector_db_errors_total', help: 'Failed database operations (each is retried)', registers: [registry] }),
    pendingRecords: new Gauge({
      name: 'log_collector_pending_records',
      help: 'Records accepted but not yet committed to the database (known since start)',
      registers: [registry],
      collect() {
        this.set(state().pendingRecords);
      },
    }),
    spoolBytes: new Gauge({
      name: 'log_collector_spool_bytes',
      help: 'Bytes in the spool not yet committed to the database',
      registers: [registry],
      collect() {
        this.set(state().spoolBytes);
      },
    }),
    databaseUp: new Gauge({
      name: 'log_collector_database_up',
      help: 'Whether the database answered the last operation (1) or not (0); /ready stays 200 either way while the spool has room',
      registers: [registry],
      collect() {
        this.set(state().databaseUp ? 1 : 0);
      },
    }),
    invalidUtf8: new Counter({
      name: 'log_collector_invalid_utf8_requests_total',
      help: 'Ingest requests whose body held invalid UTF-8, stored with U+FFFD in place of the bad bytes',
      registers: [registry],
    }),
  };
}
