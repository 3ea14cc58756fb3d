// Typed readers of configuration values, used by the generated readOptions. Each takes the
// current value as the fallback (absent or null keys keep it) and pushes a message naming the
// key to `errors` when the value is of the wrong type or out of bounds.
import { JsonValue, JsonKind } from "./json";

function absent(v: JsonValue | null): bool {
  return v === null || v.kind == JsonKind.Null;
}

/** A number, or a string holding one (YAML often quotes numbers); NaN otherwise. */
function numberOf(v: JsonValue): f64 {
  if (v.kind == JsonKind.Number) return v.num;
  if (v.kind == JsonKind.String && v.str.trim().length > 0) return parseFloat(v.str.trim());
  return NaN;
}

export function readInt(o: JsonValue, key: string, min: i32, max: i32, fallback: i32, required: bool, need: string, errors: string[]): i32 {
  const v = o.get(key);
  if (absent(v)) {
    if (required) errors.push(key + " is required (" + need + ")");
    return fallback;
  }
  const n = numberOf(v!);
  if (isNaN(n) || Math.floor(n) != n || n < <f64>min || n > <f64>max) {
    errors.push(key + " must be an integer between " + min.toString() + " and " + max.toString());
    return fallback;
  }
  return <i32>n;
}

function fmt(n: f64): string {
  return Math.floor(n) == n ? (<i64>n).toString() : n.toString();
}

export function readNumber(o: JsonValue, key: string, min: f64, max: f64, fallback: f64, errors: string[]): f64 {
  const v = o.get(key);
  if (absent(v)) return fallback;
  const n = numberOf(v!);
  if (isNaN(n) || n < min || n > max) {
    errors.push(key + " must be a number between " + fmt(min) + " and " + fmt(max));
    return fallback;
  }
  return n;
}

export function readBool(o: JsonValue, key: string, fallback: bool, errors: string[]): bool {
  const v = o.get(key);
  if (absent(v)) return fallback;
  if (v!.kind == JsonKind.Bool) return v!.bool;
  errors.push(key + " must be true or false");
  return fallback;
}

export function readString(o: JsonValue, key: string, fallback: string, required: bool, need: string, errors: string[]): string {
  const v = o.get(key);
  if (absent(v) || (required && v!.kind == JsonKind.String && v!.str.length == 0)) {
    if (required) errors.push(key + " is required (" + need + ")");
    return fallback;
  }
  if (v!.kind == JsonKind.String) return v!.str;
  errors.push(key + " must be a string");
  return fallback;
}

export function readStringList(o: JsonValue, key: string, fallback: string[], lower: bool, errors: string[]): string[] {
  const v = o.get(key);
  if (absent(v)) return fallback;
  if (v!.kind != JsonKind.Array) { errors.push(key + " must be a list of strings"); return fallback; }
  const out = new Array<string>();
  for (let i = 0; i < v!.items.length; i++) {
    const it = v!.items[i];
    if (it.kind != JsonKind.String) { errors.push(key + " must be a list of strings"); return fallback; }
    out.push(lower ? it.str.toLowerCase() : it.str);
  }
  return out;
}
