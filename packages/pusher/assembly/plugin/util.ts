// Small derivations: timestamps, Envoy response-flag short codes, Higress names, sampling.

function pad(n: i64, width: i32): string {
  let s = n.toString();
  while (s.length < width) s = "0" + s;
  return s;
}

/** RFC 3339 in UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z. */
export function formatRfc3339Millis(epochMs: i64): string {
  let days = epochMs / 86_400_000;
  let msOfDay = epochMs % 86_400_000;
  if (msOfDay < 0) { msOfDay += 86_400_000; days -= 1; }
  // civil_from_days (H. Hinnant), valid for the proleptic Gregorian calendar
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  const h = msOfDay / 3_600_000;
  const mi = (msOfDay / 60_000) % 60;
  const s = (msOfDay / 1000) % 60;
  const ms = msOfDay % 1000;
  if (y < 0 || y > 9999) {
    return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "." + pad(ms, 3) + "Z";
  }
  // Every request formats one: written in place rather than from 15 small strings.
  const b = TIME_BUF;
  putDigits(b, 0, y, 4); store<u16>(b + 8, 0x2d);
  putDigits(b, 5, m, 2); store<u16>(b + 14, 0x2d);
  putDigits(b, 8, d, 2); store<u16>(b + 20, 0x54);
  putDigits(b, 11, h, 2); store<u16>(b + 26, 0x3a);
  putDigits(b, 14, mi, 2); store<u16>(b + 32, 0x3a);
  putDigits(b, 17, s, 2); store<u16>(b + 38, 0x2e);
  putDigits(b, 20, ms, 3); store<u16>(b + 46, 0x5a);
  return String.UTF16.decodeUnsafe(b, 48);
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" as UTF-16.
const TIME_BUF: usize = memory.data(48, 2);

/** Writes `n` (0 <= n < 10^width) as `width` zero-padded decimal digits at UTF-16 index `at`. */
function putDigits(b: usize, at: i32, n: i64, width: i32): void {
  let v = n;
  for (let i = width - 1; i >= 0; i--) {
    store<u16>(b + (<usize>(at + i) << 1), <u16>(0x30 + <i32>(v % 10)));
    v /= 10;
  }
}

// Envoy's response flags in bit order (envoy/stream_info/stream_info.h), with the short codes
// its access log prints (source/common/stream_info/utility.cc).
const FLAG_CODES: StaticArray<string> = [
  "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE", "DC",
  "URX", "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF", "DO", "DR", "UDO",
];

/** Comma-separated short codes of a response.flags bitmask, "-" when none is set. */
export function responseFlagsToString(flags: u64): string {
  if (flags == 0) return "-";
  let out = "";
  for (let i = 0; i < FLAG_CODES.length; i++) {
    if ((flags & (<u64>1 << <u64>i)) != 0) {
      if (out.length > 0) out += ",";
      out += FLAG_CODES[i];
    }
  }
  return out.length > 0 ? out : "-";
}

/** The service FQDN of a Higress/Istio cluster name `outbound|port|subset|fqdn`, else the name. */
export function serviceFromCluster(cluster: string): string {
  if (!cluster.startsWith("outbound|") && !cluster.startsWith("inbound|")) return cluster;
  const last = cluster.lastIndexOf("|");
  if (last < 0 || last == cluster.length - 1) return cluster;
  return cluster.substring(last + 1);
}

/** The API name of a Higress model-API route `model-api-{name}-{n}`, else "". */
export function apiFromRoute(route: string): string {
  const prefix = "model-api-";
  if (!route.startsWith(prefix) || route.length <= prefix.length) return "";
  const rest = route.substring(prefix.length);
  const dash = rest.lastIndexOf("-");
  if (dash > 0 && dash < rest.length - 1) {
    let digits = true;
    for (let i = dash + 1; i < rest.length; i++) {
      const c = rest.charCodeAt(i);
      if (c < 0x30 || c > 0x39) { digits = false; break; }
    }
    if (digits) return rest.substring(0, dash);
  }
  return rest;
}

/** The model of a Gemini path `/v1beta/models/{model}:generateContent`, else "". */
export function modelFromGeminiPath(path: string): string {
  const at = path.indexOf("/models/");
  if (at < 0) return "";
  const start = at + 8;
  let end = path.indexOf(":", start);
  if (end < 0) return "";
  const q = path.indexOf("?", start);
  if (q >= 0 && q < end) return "";
  return path.substring(start, end);
}

/** Path without its query string. */
export function pathOnly(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.substring(0, q);
}

// xorshift64* seeded from the host clock: sampling needs no cryptographic randomness, and
// Math.random would add an `env.seed` import that Envoy does not provide.
let rngState: u64 = 0;

export function seedRandom(seed: u64): void {
  rngState = seed == 0 ? 0x9e3779b97f4a7c15 : seed;
}

/** Uniform in [0, 1). */
export function random01(): f64 {
  if (rngState == 0) seedRandom(0);
  let x = rngState;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rngState = x;
  const r = x * 0x2545f4914f6cdd1d;
  return <f64>(r >> 11) / 9007199254740992.0;
}

/** Whether `path` is `prefix` or below it: "/health" matches "/health" and "/health/x", not "/healthy". */
export function pathUnder(path: string, prefix: string): bool {
  if (!path.startsWith(prefix)) return false;
  if (path.length == prefix.length || prefix.endsWith("/")) return true;
  return path.charCodeAt(prefix.length) == 0x2f;
}
