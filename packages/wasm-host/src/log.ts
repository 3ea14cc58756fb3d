// Structured log lines (one JSON object per line) for the gateway, written to stderr.
// Hand-written rather than pino: one synchronous JSON line per event is all the gateway needs,
// and it keeps this package free of runtime dependencies.

import { LogLevel, type LogLevelName } from './abi.js';

export type Logger = (level: LogLevelName, msg: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(minLevel: LogLevelName = 'info', out: NodeJS.WritableStream = process.stderr): Logger {
  const min = LogLevel[minLevel];
  return (level, msg, fields) => {
    if (LogLevel[level] < min) return;
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}
