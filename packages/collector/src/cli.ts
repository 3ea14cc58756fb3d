#!/usr/bin/env node
import pino from 'pino';
import { ConfigError, helpText, loadConfig, type CollectorConfig } from './config.js';
import { drainSpool } from './drain.js';
import { startCollector } from './index.js';

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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const draining = args[0] === 'drain';
  let config;
  try {
    config = loadConfig(process.env, draining ? args.slice(1) : args);
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
