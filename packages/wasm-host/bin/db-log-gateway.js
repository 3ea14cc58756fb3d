#!/usr/bin/env node
// `db-log-gateway`: the built CLI, or its TypeScript source before `npm run build` (scripts/bin-shim.mjs).
import { runPackageCli } from '../../../scripts/bin-shim.mjs';

await runPackageCli(new URL('../', import.meta.url));
