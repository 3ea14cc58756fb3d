// A small kustomize renderer for the tests: `resources`, `components`, `namespace` and `images`,
// the fields deploy/kubernetes uses. Hand-written because no kustomize is packaged for npm; any
// other field fails loudly instead of being ignored, so the renderer cannot drift from kustomize.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  [k: string]: unknown;
};

export interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface Kustomization {
  apiVersion: string;
  kind: 'Kustomization' | 'Component';
  namespace?: string;
  resources?: string[];
  components?: string[];
  images?: ImageRule[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'components', 'images']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass', 'PersistentVolume']);

/** The parsed YAML documents of a file, skipping empty ones. */
export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export function readKustomization(dir: string): Kustomization {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const k = readManifests(file)[0] as unknown as Kustomization;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new Error(`${file}: field "${key}" is not supported by the test renderer; extend deploy/test/kustomize.ts`);
  }
  return k;
}

/** Splits an image reference into the name kustomize matches on and the rest. */
function splitImage(ref: string): { name: string; tag?: string; digest?: string } {
  const [nameTag, digest] = ref.split('@');
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  return colon > slash ? { name: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1), digest } : { name: nameTag, digest };
}

function applyImages(node: unknown, rules: ImageRule[]): void {
  if (Array.isArray(node)) return node.forEach((n) => applyImages(n, rules));
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const c of value as { image?: string }[]) {
        if (typeof c.image !== 'string') continue;
        const ref = splitImage(c.image);
        const rule = rules.find((r) => r.name === ref.name);
        if (!rule) continue;
        const name = rule.newName ?? ref.name;
        const tag = rule.newTag ?? ref.tag;
        c.image = rule.digest ? `${name}@${rule.digest}` : tag ? `${name}:${tag}` : name;
      }
    }
    applyImages(value, rules);
  }
}

/** Renders a kustomization directory as `kustomize build` would, for the fields above. */
export function render(dir: string): Manifest[] {
  const k = readKustomization(dir);
  const out: Manifest[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    if (statSync(p).isDirectory() && readKustomization(p).kind === 'Component') throw new Error(`${p}: a Component belongs in components, not resources`);
    out.push(...(statSync(p).isDirectory() ? render(p) : readManifests(p)));
  }
  for (const c of k.components ?? []) {
    const ck = readKustomization(join(dir, c));
    if (ck.kind !== 'Component') throw new Error(`${join(dir, c)}: a component must be kind Component`);
    out.push(...render(join(dir, c)));
  }
  const images = [...(k.images ?? []), ...(k.components ?? []).flatMap((c) => readKustomization(join(dir, c)).images ?? [])];
  applyImages(out, images);
  if (k.namespace) {
    for (const m of out) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata.namespace = k.namespace;
  }
  return out;
}
