#!/usr/bin/env node
import pino from 'pino';
import { ConfigError, helpText, loadConfig, type CollectorConfig } from './config.js';
import { drainSpool } from './drain.js';
import { startCollector } from './index.js';
import { recomputeCost, splitRangeArgs } from './cost/recompute.js';

/** `log-collector drain`: empties DATA_DIR's spool into the database; exit 0 once it is empty. */
async function drain(config: CollectorConfig): Promise<void> {
  const log = pino({ level: config.logLevel, base: { service: 'log-collector', command: 'drain' } });
  const abort = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      log.warn({ signal: sig }, 'stopping the drain; what is left stays in the spool');
      abort.abort();
    });
  }
  let result;
  try {
    result = await drainSpool(config, log, abort.signal);
  } catch (e) {
    log.error({ err: (e as Error).message }, 'cannot drain');
    process.exit(1);
  }
  const { written, leftBytes } = result;
  if (leftBytes > 0) {
    log.error({ written, spoolBytes: leftBytes }, 'the spool is not empty');
    process.exit(1);
  }
  log.info({ written }, 'spool drained');
}

/** `log-collector recompute-cost --from … --to …`: cost set again from the current prices; exit 0 when done. */
async function recompute(config: CollectorConfig, from: number, to: number): Promise<void> {
  const log = pino({ level: config.logLevel, base: { service: 'log-collector', command: 'recompute-cost' } });
  try {
    const rows = await recomputeCost(config, log, from, to);
    process.stdout.write(`${rows} rows\n`);
  } catch (e) {
    log.error({ err: (e as Error).message }, 'cannot recompute cost');
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const draining = args[0] === 'drain';
  const recomputing = args[0] === 'recompute-cost';
  let config;
  let range: { from: number; to: number } | undefined;
  try {
    let rest = draining || recomputing ? args.slice(1) : args;
    if (recomputing && !args.includes('--help') && !args.includes('-h')) {
      const r = splitRangeArgs(args.slice(1));
      range = r;
      rest = r.rest;
    }
    config = loadConfig(process.env, rest);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`log-collector: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config.help) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  if (draining) return drain(config);
  if (range) return recompute(config, range.from, range.to);
  const collector = await startCollector(config);
  const log = collector.context.log;
  log.info({ url: collector.url, ...(collector.ingestUrl !== collector.url ? { ingestUrl: collector.ingestUrl } : {}) }, 'listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now; the spool keeps what was not written');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: draining the spool into the database');
    collector.close().then(
      () => {
        log.info({ signal }, 'stopped');
        process.exit(0);
      },
      (e) => {
        log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`log-collector: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
