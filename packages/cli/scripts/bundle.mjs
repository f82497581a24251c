// Rewrites dist/main.js (the `flotilla` bin, as tsc emitted it) into one self-contained ES module.
// Why: a CLI pays its start-up on every command. Loaded file by file, main.js pulls ~200 modules
// (grpc-js, the generated api, commander, ...) and Node spends most of its start-up resolving,
// reading and linking them (~0.6 s of a ~0.9 s `flotilla --version` on a busy 2-core machine);
// one file halves that. dist/index.js and the other modules stay as tsc wrote them for importers.
// What main.js imports dynamically (@flotilla/ca with node-forge, ~1 MB, only for tcp:// hosts)
// goes to dist/chunks/ (esbuild code splitting), so unix:// commands never read or parse it.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
// Flotilla's one version lives in the workspace root's package.json; the bundle carries it.
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
if (typeof version !== 'string') throw new Error('the root package.json has no version');

await build({
  entryPoints: [main],
  outdir: fileURLToPath(new URL('../dist/', import.meta.url)),
  entryNames: 'main',
  chunkNames: 'chunks/[name]-[hash]',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (grpc-js) call require() for Node's built-ins; an ES module has none.
  banner: { js: "import { createRequire as __flotillaRequire } from 'node:module'; const require = __flotillaRequire(import.meta.url);" },
  define: { __FLOTILLA_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  logLevel: 'warning',
});
