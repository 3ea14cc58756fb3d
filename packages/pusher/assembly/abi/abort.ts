// Replaces AssemblyScript's default `env.abort` import (which Envoy does not provide) with a
// critical log line through proxy_log, then traps. Wired in with `--use abort=...`.
import { proxy_log } from "./imports";
import { LogLevel } from "./types";

export function pluginAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // Build the text without allocating through the GC when possible: it may be the GC failing.
  let text = "db-log-pusher: abort";
  if (message !== null) text += ": " + message;
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(LogLevel.Critical, changetype<usize>(bytes), bytes.byteLength);
  unreachable();
}
