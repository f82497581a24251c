import type { PublishedPackage } from './manifest.js';

const keywords = ['docker', 'swarm', 'orchestrator', 'containers', 'flotilla'];

export const CLI_PACKAGE: PublishedPackage = {
  name: '@flotilla/cli',
  id: 'cli',
  description: 'The flotilla command line: docker swarm, node, service, stack ... commands for a Flotilla cluster.',
  keywords,
  bin: { flotilla: 'dist/main.js' },
  sourceDir: 'packages/cli',
};

export const DAEMON_PACKAGE: PublishedPackage = {
  name: '@flotilla/daemon',
  id: 'daemon',
  description: 'flotillad, the Flotilla daemon: one per machine, runs containers on Docker and, on managers, the Raft-replicated control plane. Needs nats-server and a Docker Engine.',
  keywords: [...keywords, 'daemon'],
  bin: { flotillad: 'dist/flotillad.js' },
  sourceDir: 'apps/flotillad',
  os: ['linux'],
};

export const PUBLISHED_PACKAGES: readonly PublishedPackage[] = [CLI_PACKAGE, DAEMON_PACKAGE];
