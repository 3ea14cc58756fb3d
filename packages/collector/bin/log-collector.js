#!/usr/bin/env node
// `log-collector`: the built CLI, or its TypeScript source before `npm run build` (scripts/bin-shim.mjs).
import { runPackageCli } from '../../../scripts/bin-shim.mjs';

await runPackageCli(new URL('../', import.meta.url));
