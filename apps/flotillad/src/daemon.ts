import { Server } from '@grpc/grpc-js';
import { ControlService } from '@flotilla/api';
import type { Logger } from 'pino';
import type { DaemonConfig } from './config.js';
import { serveOnControlSocket } from './control-socket.js';
import { controlService } from './control-service.js';
import { gatedControl } from './plugins/authz-gate.js';
import { lockDataDir } from './data-dir-lock.js';
import { checkDataDirModes } from './data-dir-modes.js';
import { dockerClient, probeDockerEngine } from './docker-engine.js';
import { currentProcessFacts } from './info.js';
import { loadBalancerChoice } from './node-lb/backend-choice.js';
import { startNodeMetrics } from './metrics/node-metrics-server.js';
import { SwarmController } from './swarm/swarm-controller.js';

export interface RunningDaemon {
  readonly config: DaemonConfig;
  /** Stops serving, removes the control socket and releases the data dir. Idempotent. */
  stop(): Promise<void>;
}

const GRACEFUL_STOP_MS = 5_000;

export async function startDaemon(config: DaemonConfig, version: string, log: Logger): Promise<RunningDaemon> {
  const lock = await lockDataDir(config.dataDir);
  let stopOnFailure: () => Promise<void> | undefined = () => undefined;
  try {
    await checkDataDirModes(config.dataDir, log.child({ component: 'data-dir' }));
    const docker = dockerClient(config.dockerHost);
    const dockerEngine = () => probeDockerEngine(docker, config.dockerHost);
    // Picked once, at start: what `info` reports and what every node runtime balances with.
    const lb = await loadBalancerChoice();
    const swarm = new SwarmController(config, { client: config.natsPort, cluster: config.natsClusterPort }, log.child({ component: 'swarm' }));
    const control = controlService(
      {
        facts: currentProcessFacts(version),
        config,
        swarm: () => swarm.info(),
        dockerEngine,
        loadBalancerBackend: () => lb.kind,
      },
      swarm,
      log.child({ component: 'control' }),
    );
    // The same control API on a manager's port 2377, for `flotilla -H tcp://`: mutual TLS, and
    // only a manager certificate of this cluster may call it (the CA server's manager-only rule).
    // Authorization plugins see every call on both (issue 17); the wrapper knows which one it came by.
    const controlLog = log.child({ component: 'control' });
    swarm.serveOnManagerPort([{ definition: ControlService, implementation: gatedControl(control, 'tls', swarm, controlLog), managerOnly: { apiName: 'the control API' } }]);
    // Before restore: a restarted manager's first election counts.
    const metrics = await startNodeMetrics(config, swarm, log.child({ component: 'metrics' }));
    stopOnFailure = () => metrics?.stop();
    await swarm.restore();
    const server = new Server();
    server.addService(ControlService, gatedControl(control, 'local', swarm, controlLog));
    const socket = await serveOnControlSocket(server, config.controlSocket);
    log.info(
      { dataDir: config.dataDir, controlSocket: socket.path, labels: config.labels, loadBalancer: lb.kind, loadBalancerReason: lb.reason },
      'flotillad listening on control socket',
    );
    void reportDockerEngine(dockerEngine, log);

    let stopping: Promise<void> | undefined;
    return {
      config,
      stop() {
        stopping ??= (async () => {
          await shutdownServer(server);
          await metrics?.stop();
          await swarm.stop();
          await socket.remove();
          await lock.release();
          log.info({ controlSocket: socket.path, dataDir: config.dataDir }, 'flotillad stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopOnFailure();
    await lock.release();
    throw err;
  }
}

async function reportDockerEngine(probe: () => ReturnType<typeof probeDockerEngine>, log: Logger): Promise<void> {
  const engine = await probe();
  if (engine.reachable) {
    log.info({ dockerHost: engine.host, engineVersion: engine.engineVersion, apiVersion: engine.apiVersion }, 'Docker Engine reachable');
  } else {
    // Not fatal: the daemon must stay up so the operator can ask it what is wrong.
    log.warn({ dockerHost: engine.host, error: engine.error }, 'Docker Engine unreachable');
  }
}

function shutdownServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, GRACEFUL_STOP_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
