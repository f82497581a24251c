#!/usr/bin/env node
// `npm run release`: both npm tarballs into <checkout>/release/ (or --out DIR).
import { resolve } from 'node:path';
import { buildRelease } from './release.js';
import { WORKSPACE_ROOT } from './workspace.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const outDir = resolve(outAt >= 0 && args[outAt + 1] ? args[outAt + 1]! : `${WORKSPACE_ROOT}/release`);
try {
  for (const t of await buildRelease(outDir)) {
    process.stdout.write(`${t.file}  ${t.name}@${t.version}  ${(t.size / 1024).toFixed(0)} KiB packed, ${(t.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${t.files.length} files\n`);
  }
} catch (err) {
  process.stderr.write(`release: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
