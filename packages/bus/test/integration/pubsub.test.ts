// Typed one-way messages over a real nats-server with mutual TLS.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotations } from '@flotilla/api';
import {
  clusterSubjects,
  connectBus,
  MalformedMessageError,
  publishMessage,
  subscribeMessages,
  type BusConnection,
  type NatsServerSupervisor,
} from '../../src/index.js';
import { makeTestPki, startSupervised, tempDir, tlsOf, waitFor, type TempDir } from '../support/fixtures.js';

const subjects = clusterSubjects('c1');

describe('publishMessage/subscribeMessages', () => {
  let dir: TempDir;
  let nats: NatsServerSupervisor;
  let pub: BusConnection;
  let sub: BusConnection;

  beforeAll(async () => {
    dir = await tempDir();
    const pki = await makeTestPki(join(dir.path, 'pki'), { clients: [{ name: 'a', cn: 'a' }, { name: 'b', cn: 'b' }] });
    nats = await startSupervised(pki, join(dir.path, 'nats'), [{ user: pki.clients.a!.dn }, { user: pki.clients.b!.dn }]);
    pub = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.a!) });
    sub = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.b!) });
  });

  afterAll(async () => {
    await pub?.close();
    await sub?.close();
    await nats?.stop();
    await dir?.cleanup();
  });

  it('delivers typed messages with their concrete subject; malformed ones and handler failures do not stop it', async () => {
    const got: Array<[string, string]> = [];
    const malformed: MalformedMessageError[] = [];
    const failures: string[] = [];
    const s = subscribeMessages(
      sub.nc,
      subjects.raft.any,
      Annotations,
      (msg, ctx) => {
        if (msg.name === 'explode') throw new Error('handler broke');
        got.push([ctx.subject, msg.name]);
      },
      { onMalformed: (e) => malformed.push(e), onHandlerError: (_e, subject) => failures.push(subject) },
    );
    await sub.nc.flush();
    try {
      publishMessage(pub.nc, subjects.raft.member('m1'), Annotations, Annotations.fromPartial({ name: 'first' }));
      pub.nc.publish(subjects.raft.member('m2'), Uint8Array.from([0x0f]));
      publishMessage(pub.nc, subjects.raft.member('m3'), Annotations, Annotations.fromPartial({ name: 'explode' }));
      publishMessage(pub.nc, subjects.raft.member('m4'), Annotations, Annotations.fromPartial({ name: 'last' }));
      await waitFor(() => got.length === 2, { what: 'both good messages' });
      expect(got).toEqual([
        [subjects.raft.member('m1'), 'first'],
        [subjects.raft.member('m4'), 'last'],
      ]);
      expect(malformed).toHaveLength(1);
      expect(malformed[0]).toMatchObject({ typeName: 'Annotations', subject: subjects.raft.member('m2') });
      expect(failures).toEqual([subjects.raft.member('m3')]);
    } finally {
      await s.stop();
    }
    expect(s.subscription.isClosed()).toBe(true);
  });

  it('handles messages one at a time, in order, unless told to run concurrently', async () => {
    for (const concurrent of [false, true]) {
      const events: string[] = [];
      let running = 0;
      let maxRunning = 0;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const s = subscribeMessages(
        sub.nc,
        subjects.store.events,
        Annotations,
        async (msg) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          events.push(`start ${msg.name}`);
          if (msg.name === '1') await held;
          events.push(`end ${msg.name}`);
          running--;
        },
        { concurrent },
      );
      await sub.nc.flush();
      try {
        for (const name of ['1', '2', '3']) publishMessage(pub.nc, subjects.store.events, Annotations, Annotations.fromPartial({ name }));
        await pub.nc.flush();
        if (concurrent) {
          await waitFor(() => events.includes('end 3'), { what: 'messages 2 and 3 to pass the held message 1' });
          release();
          await waitFor(() => events.includes('end 1'), { what: 'message 1 to finish' });
          expect(maxRunning).toBeGreaterThan(1);
        } else {
          await waitFor(() => events.includes('start 1'), { what: 'message 1 to start' });
          // 2 and 3 have arrived (the flush above), yet wait behind 1.
          await sub.nc.flush();
          expect(events).toEqual(['start 1']);
          release();
          await waitFor(() => events.length === 6, { what: 'all three messages' });
          expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
          expect(maxRunning).toBe(1);
        }
      } finally {
        release();
        await s.stop();
      }
    }
  });
});
