import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The checkout's root (src/ and dist/ both sit three levels below it). */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What every published package takes from the root package.json: the one place these are set. */
export interface RootFacts {
  readonly version: string;
  readonly license: string;
  readonly repository: { readonly type: string; readonly url: string };
  readonly engines: { readonly node: string };
}

export function readRootFacts(root = WORKSPACE_ROOT): RootFacts {
  const file = `${root}/package.json`;
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  const version = typeof pkg['version'] === 'string' && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(pkg['version']) ? pkg['version'] : fail('"version" must be a semver string');
  const license = typeof pkg['license'] === 'string' ? pkg['license'] : fail('"license" is missing');
  const repo = pkg['repository'] as { type?: unknown; url?: unknown } | undefined;
  const repository = typeof repo?.type === 'string' && typeof repo.url === 'string' ? { type: repo.type, url: repo.url } : fail('"repository" needs type and url');
  const engines = pkg['engines'] as { node?: unknown } | undefined;
  const node = typeof engines?.node === 'string' ? engines.node : fail('"engines.node" is missing');
  return { version, license, repository, engines: { node } };
}
