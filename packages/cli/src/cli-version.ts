import { readFileSync } from 'node:fs';

/** Replaced by the bundler with the root package.json's version (scripts/bundle.mjs). */
declare const __FLOTILLA_VERSION__: string | undefined;

/**
 * Flotilla's version: set once, in the workspace root's package.json, for every package. The
 * bundle (what `bin/flotilla` and the npm package run) has it stamped in; code run straight from
 * the checkout (tests) reads the root package.json, which src/ and dist/ both sit three levels below.
 */
export function cliVersion(): string {
  if (typeof __FLOTILLA_VERSION__ === 'string') return __FLOTILLA_VERSION__;
  return rootVersion(new URL('../../../package.json', import.meta.url));
}

function rootVersion(file: URL): string {
  const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  throw new Error(`${file.pathname} has no version`);
}
