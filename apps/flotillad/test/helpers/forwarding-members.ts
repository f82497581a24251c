// Three (or more) real Raft members on one real nats-server, each with its store service and its
// follower writes forwarded to the leader, as flotillad wires them (store-writer).
import { join } from 'node:path';
import { RaftMember, StoreClient, StoreService, type RaftMemberOptions } from '@flotilla/raft';
import { makeTestPki, startTestNats, type TestNats } from '@flotilla/testkit';
import pino from 'pino';
import { forwardWritesOnFollower } from '../../src/manager/store-writer.js';

export interface ForwardingMembers {
  readonly members: Map<number, RaftMember>;
  stop(): Promise<void>;
}

/** `options(id)` adds to or overrides each member's start options (its data dir, timings, …). */
export async function startForwardingMembers(
  dir: string,
  ids: readonly number[],
  options: (id: number) => Partial<RaftMemberOptions> = () => ({}),
): Promise<ForwardingMembers> {
  const pki = await makeTestPki(join(dir, 'pki'), { clients: ids.map((id) => ({ name: `m${id}`, cn: `member-${id}` })) });
  const nats: TestNats = await startTestNats({ pki });
  const members = new Map<number, RaftMember>();
  const services: StoreService[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(services.map((s) => s.stop()));
    for (const m of members.values()) await m.stop().catch(() => undefined);
    await nats.stop();
  };
  try {
    for (const id of ids) {
      const bus = await nats.connect(`m${id}`);
      const member = await RaftMember.start({
        id,
        clusterId: 'c1',
        dataDir: join(dir, `raft-${id}`),
        nc: bus.nc,
        bootstrap: [...ids],
        nodeId: `node-${id}`,
        tickMs: 25,
        logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
        ...options(id),
      });
      members.set(id, member);
      forwardWritesOnFollower(member, new StoreClient({ nc: bus.nc, clusterId: 'c1' }));
      const service = new StoreService({ member, nc: bus.nc, clusterId: 'c1' });
      await service.start();
      services.push(service);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, stop };
}
