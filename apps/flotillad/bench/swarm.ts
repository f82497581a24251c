import { createServer } from 'node:net';
import type { Cleanup } from './cleanup.js';
import { run, runOk } from './processes.js';
import { IMAGE, REPLICA_COMMAND, type CreateOptions, type ServiceSystem } from './orchestrator.js';

const ADVERTISE = '127.0.0.1';

/** A free TCP port on `host`: Docker's default 2377 may be taken (flotillad's NodeCa uses it too). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function networkExists(name: string): Promise<boolean> {
  return (await run('docker', ['network', 'inspect', name])).code === 0;
}

/**
 * Puts this machine's Docker Engine into swarm mode for the run and registers leaving it.
 * Refuses if the engine is already in a swarm: that swarm is not ours to leave.
 */
export async function dockerSwarm(cleanup: Cleanup): Promise<ServiceSystem> {
  const state = (await runOk('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
  if (state !== 'inactive') throw new Error(`the Docker Engine is already in swarm mode (${state}); not touching someone else's swarm`);
  // The image is referenced by ID: given a tag, swarm tries a registry even with --no-resolve-image.
  const imageId = (await runOk('docker', ['image', 'inspect', '--format', '{{.Id}}', IMAGE])).trim();
  const hadGwBridge = await networkExists('docker_gwbridge');
  const port = await freePort(ADVERTISE);
  cleanup.add('docker swarm leave --force', async () => {
    await runOk('docker', ['swarm', 'leave', '--force']);
    // swarm mode creates docker_gwbridge on first use and leaves it behind.
    if (!hadGwBridge && (await networkExists('docker_gwbridge'))) await runOk('docker', ['network', 'rm', 'docker_gwbridge']);
  });
  await runOk('docker', ['swarm', 'init', '--advertise-addr', ADVERTISE, '--listen-addr', `${ADVERTISE}:${port}`]);
  return {
    name: 'swarm',
    serviceLabel: (service) => `com.docker.swarm.service.name=${service}`,
    async create(service: string, { replicas, stopGraceSeconds }: CreateOptions): Promise<void> {
      await runOk('docker', [
        'service', 'create', '--detach', '--no-resolve-image',
        '--name', service,
        '--replicas', String(replicas),
        '--restart-delay', '0s',
        ...(stopGraceSeconds !== undefined ? ['--stop-grace-period', `${stopGraceSeconds}s`] : []),
        imageId, ...REPLICA_COMMAND,
      ]);
    },
    async remove(service: string): Promise<void> {
      await runOk('docker', ['service', 'rm', service]);
    },
    image: imageId,
    cliArgv: ['docker'],
  };
}
