// A real nats-server with mutual TLS and the production permissions: one manager user
// (the dispatcher) and worker users that may only talk as themselves.
import { join } from 'node:path';
import { clusterSubjects, managerPermissions, workerPermissions, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { makeTestPki, startTestNats, tempDir, type TempDir, type TestNats } from '@flotilla/testkit';

export const CLUSTER_ID = 'c1';

export interface TestCluster {
  dir: TempDir;
  nats: TestNats;
  subjects: ClusterSubjects;
  manager: BusConnection;
  /** Connects as worker `nodeId` with its own inbox prefix, as flotillad does. */
  worker(nodeId: string): Promise<BusConnection>;
  stop(): Promise<void>;
}

export async function startTestCluster(workerIds: string[]): Promise<TestCluster> {
  const dir = await tempDir('flotilla-dispatcher-');
  const subjects = clusterSubjects(CLUSTER_ID);
  const pki = await makeTestPki(join(dir.path, 'pki'), {
    clients: [
      { name: 'm1', cn: 'm1', ou: 'flotilla-manager', o: CLUSTER_ID },
      ...workerIds.map((id) => ({ name: id, cn: id, ou: 'flotilla-worker', o: CLUSTER_ID })),
    ],
  });
  const nats = await startTestNats({
    pki,
    users: [
      { user: pki.clients.m1!.dn, permissions: managerPermissions(subjects) },
      ...workerIds.map((id) => ({ user: pki.clients[id]!.dn, permissions: workerPermissions(subjects, id) })),
    ],
  });
  const manager = await nats.connect('m1');
  return {
    dir,
    nats,
    subjects,
    manager,
    worker: (nodeId) => nats.connect(nodeId, { inboxPrefix: subjects.node.inboxPrefix(nodeId) }),
    async stop() {
      await nats.stop();
      await dir.cleanup();
    },
  };
}
