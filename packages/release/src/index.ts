export { buildRelease } from './release.js';
export type { Tarball } from './release.js';
export { publishManifest } from './manifest.js';
export type { PublishedPackage } from './manifest.js';
export { CLI_PACKAGE, DAEMON_PACKAGE, PUBLISHED_PACKAGES } from './packages.js';
export { readRootFacts, WORKSPACE_ROOT } from './workspace.js';
export type { RootFacts } from './workspace.js';
