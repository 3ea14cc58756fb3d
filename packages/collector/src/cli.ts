#!/usr/bin/env node
import { ConfigError, helpText, loadConfig } from './config.js';
import { startCollector } from './index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
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
  const collector = await startCollector(config);
  const log = collector.context.log;
  log.info({ url: collector.url }, 'listening');
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
