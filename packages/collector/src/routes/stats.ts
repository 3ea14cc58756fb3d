import { BadRequestError, StoreUnavailableError } from '../errors.js';
import { filtersToSql, parseLogFilters, type LogFilters } from '../query/filters.js';
import { computeStats, parseStatsOptions, SqliteStatsRunner, StatsBusyError, StatsParamError, type StatsOptions } from '../stats/index.js';
import type { RoutePlugin } from '../context.js';
import { noStore } from './no-store.js';
import { ALL_COLUMNS, usageSql } from '../stats/usage.js';

/**
 * `GET /stats`: the `/query` filters plus `group_by`, `interval` and `limit`; answers KPIs for the
 * whole range, per-group totals and per-group time series (see src/stats/compute.ts).
 * Guarded by QUERY_TOKEN like `/query`.
 */
export const statsRoutes: RoutePlugin = async (app, ctx) => {
  app.addHook('onRequest', noStore);
  // SQLite statements run synchronously: compute in a worker thread so a long aggregate never
  // holds up ingestion on the main thread. MySQL's driver is asynchronous already.
  const db = ctx.config.database;
  const runner = db.kind === 'sqlite' ? new SqliteStatsRunner(db.file) : null;
  if (runner) app.addHook('onClose', async () => runner.close());

  app.get('/stats', { preHandler: ctx.queryAuth }, async (req) => {
    // Parse both halves before answering so one 400 names every bad parameter.
    const bad: { param: string; message: string }[] = [];
    let filters: LogFilters = {};
    let options: StatsOptions | undefined;
    try {
      filters = parseLogFilters(req.query);
    } catch (e) {
      if (!(e instanceof BadRequestError)) throw e;
      bad.push({ param: e.param, message: e.message });
    }
    try {
      options = parseStatsOptions((req.query ?? {}) as Record<string, unknown>);
    } catch (e) {
      if (!(e instanceof StatsParamError)) throw e;
      bad.push(...e.params.map((p, i) => ({ param: p, message: e.message.split('; ')[i] ?? e.message })));
    }
    if (bad.length || !options) throw statsBadRequest(bad);
    const reader = ctx.store.reader;
    const input = {
      filter: filtersToSql(filters, reader.dialect),
      options,
      range: {
        start: filters.start !== undefined ? new Date(filters.start) : null,
        end: filters.end !== undefined ? new Date(filters.end) : null,
      },
      // Per request: the store learns its columns when it first reaches the database.
      usage: usageSql(ctx.config.prices, reader.dialect, ctx.store.hasColumn?.bind(ctx.store) ?? ALL_COLUMNS),
    };
    try {
      return runner ? await runner.run(input) : await computeStats({ reader, ...input });
    } catch (e) {
      if (e instanceof StatsParamError) throw statsBadRequest(e.params.map((p) => ({ param: p, message: e.message })));
      if (e instanceof StatsBusyError) throw e; // 503 with Retry-After (src/http/answers.ts)
      req.log.error({ err: e }, 'stats failed');
      throw new StoreUnavailableError(e);
    }
  });
};

function statsBadRequest(bad: { param: string; message: string }[]): BadRequestError {
  const err = new BadRequestError(bad.map((b) => b.param).join(','), bad.map((b) => b.message).join('; '));
  return err;
}
