// `flotillad service <name>` (issue 16): one singleton manager service as its own process. It
// trades the service join token for a service identity (a certificate whose NATS user may use only
// that service's subjects), follows the store over NATS (list, then events; a gap re-lists) through
// the store service's subjects for that service, and runs the same package code as a manager's
// in-process instance: acting only while it holds the service's lease, every write fenced by its
// epoch and proposed through the store service (the same transaction id on every resend, so a
// write applies at most once).
import { hostname } from 'node:os';
import { clusterSubjects, connectBus } from '@flotilla/bus';
import { joinAsService } from '@flotilla/ca';
import { Store, StoreClient, StoreReplica, replicaStoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';
import { faultDelayFromEnv } from './fault-delay.js';
import { servePresence } from './presence.js';
import type { ServiceProcessConfig } from './service-args.js';
import { serviceBody } from './service-bodies.js';
import { startServiceInstance } from './service-instance.js';

/** How long the first list of the store may take before the process gives up starting. */
const FIRST_LIST_MS = 30_000;

export interface RunningServiceProcess {
  readonly instanceId: string;
  stop(): Promise<void>;
}

export async function startServiceProcess(config: ServiceProcessConfig, log0: Logger): Promise<RunningServiceProcess> {
  const host = hostname();
  const { service } = config;
  const creds = await joinAsService({ addr: config.joinAddr, token: config.token, service, host });
  const { instanceId, clusterId } = creds.identity;
  const log = log0.child({ service, instanceId, clusterId, nodeId: instanceId });
  if (creds.natsUrls.length === 0) throw new Error(`the manager at ${config.joinAddr} named no NATS servers for ${service} instance ${instanceId}`);
  log.info({ natsUrls: creds.natsUrls, notAfter: creds.identity.notAfter.toISOString() }, 'service identity issued');
  const subjects = clusterSubjects(clusterId);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.warn({ err }, 'stopping a part of the service process failed'));
  };
  try {
    const bus = await connectBus({
      servers: creds.natsUrls,
      tls: { ca: creds.caCertPem, cert: creds.certPem, key: creds.keyPem },
      name: `flotillad service ${service} ${instanceId}`,
      inboxPrefix: subjects.services.inboxPrefix(service, instanceId),
      logger: log.child({ component: 'bus' }),
    });
    stops.push(() => bus.close());
    const client = new StoreClient({ nc: bus.nc, clusterId, scope: service });
    const replica = new StoreReplica(client, new Store({ logger: log.child({ component: 'store-replica' }) }), { logger: log.child({ component: 'store-follower' }) });
    replica.start();
    stops.push(() => replica.stop());
    if (!(await replica.whenListed(FIRST_LIST_MS))) throw new Error(`the store could not be listed over NATS (${creds.natsUrls.join(', ')}) within ${FIRST_LIST_MS / 1000}s`);
    const access = replicaStoreAccess(replica, client);
    const delay = faultDelayFromEnv(process.env, log);
    const instance = startServiceInstance({
      service,
      access,
      instanceId,
      holderInfo: { host, pid: process.pid, managerNodeId: '' },
      leaseDurationMs: config.leaseDurationMs,
      ...(delay ? { wrapWrites: delay } : {}),
      log,
      body: (fenced) => serviceBody(service, fenced, instanceId, log),
    });
    // Released on a graceful stop, so another instance takes over at once.
    stops.push(() => instance.stop());
    const presence = servePresence(bus.nc, subjects, () => [instance.status()], log);
    stops.push(async () => presence.stop());
    log.info({ storeIndex: replica.store.index, leaseDurationMs: config.leaseDurationMs }, 'service process running; candidate for its lease');
    let stopping: Promise<void> | undefined;
    return { instanceId, stop: () => (stopping ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
