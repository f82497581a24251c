import { readFileSync } from 'node:fs';

/** The version in this package's package.json (src/ and dist/ both sit one level below it). */
export function daemonVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  throw new Error('flotillad package.json has no version');
}
