import { readFileSync } from 'node:fs';

/** Replaced by the bundler with the root package.json's version (packages/release). */
declare const __FLOTILLA_VERSION__: string | undefined;

/**
 * Flotilla's version: set once, in the workspace root's package.json, for every package. The
 * npm package's bundle has it stamped in; the daemon run from the checkout (bin/flotillad, tests)
 * reads the root package.json, which src/ and dist/ both sit three levels below.
 */
export function daemonVersion(): string {
  if (typeof __FLOTILLA_VERSION__ === 'string') return __FLOTILLA_VERSION__;
  const file = new URL('../../../package.json', import.meta.url);
  const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  throw new Error(`${file.pathname} has no version`);
}
