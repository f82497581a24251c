import type { RootFacts } from './workspace.js';

/** One npm package Flotilla publishes. */
export interface PublishedPackage {
  /** npm name, e.g. @flotilla/cli. */
  readonly name: string;
  /** Short name of its staging directory and tarball prefix. */
  readonly id: 'cli' | 'daemon';
  readonly description: string;
  readonly keywords: readonly string[];
  /** Command → file inside the package. */
  readonly bin: Readonly<Record<string, string>>;
  /** Workspace directory it is built from (repository.directory). */
  readonly sourceDir: string;
  /** Operating systems it runs on; absent = any. */
  readonly os?: readonly string[];
}

/**
 * The package.json that ships. Pure. No dependencies: each bundle carries everything it
 * imports, so an install fetches nothing (and `npm i -g --offline` works); no `workspace:` link
 * can leak, because nothing is copied from the workspace manifests but the description.
 */
export function publishManifest(pkg: PublishedPackage, root: RootFacts): Record<string, unknown> {
  return {
    name: pkg.name,
    version: root.version,
    description: pkg.description,
    keywords: [...pkg.keywords],
    license: root.license,
    repository: { ...root.repository, directory: pkg.sourceDir },
    type: 'module',
    bin: { ...pkg.bin },
    files: ['dist'],
    engines: { ...root.engines },
    ...(pkg.os ? { os: [...pkg.os] } : {}),
    publishConfig: { access: 'public' },
  };
}
