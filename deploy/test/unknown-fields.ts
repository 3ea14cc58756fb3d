// Fields the Kubernetes API schemas do not know. kubernetes-models checks types, formats and
// required fields but, like the API's OpenAPI schemas, lets unknown fields through, and the API
// server drops them with at most a warning: a misspelt `readinesProbe` would silently vanish.
// Its compiled validators read every field they know, so the objects are handed to them behind
// proxies that record what was read: a field nobody read is unknown. Objects whose keys the
// validator enumerates (maps such as labels or resource quantities) are maps, all keys allowed.
interface Seen {
  path: string;
  target: Record<string, unknown>;
  read: Set<string>;
  enumerated: boolean;
}

function watch(value: unknown, path: string, seen: Seen[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => watch(v, `${path}[${i}]`, seen));
  const target = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, watch(v, `${path}.${k}`, seen)]));
  const s: Seen = { path, target, read: new Set(), enumerated: false };
  seen.push(s);
  return new Proxy(target, {
    get: (t, k, r) => (typeof k === 'string' && s.read.add(k), Reflect.get(t, k, r)),
    has: (t, k) => (typeof k === 'string' && s.read.add(k), Reflect.has(t, k)),
    ownKeys: (t) => ((s.enumerated = true), Reflect.ownKeys(t)),
  });
}

/** Validates `model` (a kubernetes-models instance) and returns the paths of unknown fields. */
export function validateStrictly(model: { validate(): void }): string[] {
  const seen: Seen[] = [];
  const m = model as unknown as Record<string, unknown>;
  for (const k of Object.keys(m)) if (k !== 'apiVersion' && k !== 'kind') m[k] = watch(m[k], k, seen);
  model.validate();
  const unknown = seen.flatMap((s) => (s.enumerated ? [] : Object.keys(s.target).filter((k) => !s.read.has(k)).map((k) => `${s.path}.${k}`)));
  // What lies below an unknown field was never read either: name only the outermost.
  return unknown.filter((p) => !unknown.some((q) => p.startsWith(`${q}.`) || p.startsWith(`${q}[`)));
}
