// A real single-member Raft cluster (real nats-server with mutual TLS, real WAL in a temp dir)
// whose store a service under test works on; test writes go through Raft.
import { join } from 'node:path';
import { RaftMember, TransactionBuilder, VersionConflict, localStoreAccess, type StoreAccess } from '@flotilla/raft';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { pino, type Logger } from 'pino';

export const logger: Logger = pino({ level: process.env.SVC_TEST_LOG ?? 'silent' });

export interface Env {
  tmp: TempDir;
  nats: TestNats;
}

export async function startEnv(): Promise<Env> {
  const tmp = await tempDir('flotilla-svc-');
  const nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
  return { tmp, nats };
}

export async function stopEnv(env: Env | undefined): Promise<void> {
  await env?.nats.stop();
  await env?.tmp.cleanup();
}

let members = 0;

export interface Solo {
  member: RaftMember;
  store: StoreAccess;
  /** Proposes the transaction `build` makes from the current store, again after a version conflict. */
  write(build: (b: TransactionBuilder) => TransactionBuilder): Promise<number>;
}

export async function startSolo(env: Env): Promise<Solo> {
  const bus = await env.nats.connect('m1');
  const n = members++;
  const member = await RaftMember.start({ id: 1, clusterId: `solo${n}`, dataDir: join(env.tmp.path, `m${n}`), nc: bus.nc, bootstrap: [1], tickMs: 20, logger });
  await waitFor(() => member.isLeader, { what: 'the single member to lead' });
  const store = localStoreAccess(member);
  let tx = 0;
  return {
    member,
    store,
    async write(build) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await store.propose(build(new TransactionBuilder(`test-${tx++}`, Date.now())).build());
        } catch (err) {
          if (!(err instanceof VersionConflict) || attempt >= 20) throw err;
        }
      }
    },
  };
}
