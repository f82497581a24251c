// Typed request/reply over a real nats-server with mutual TLS.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Annotations, BusError, BusError_Code, Meta } from '@flotilla/api';
import {
  BusRequestError,
  clusterSubjects,
  connectBus,
  MalformedMessageError,
  managerPermissions,
  REPLY_KIND_HEADER,
  request,
  serve,
  type BusConnection,
  type Handler,
  type NatsServerSupervisor,
  type Served,
} from '../../src/index.js';
import { capturingLogger, makeTestPki, startSupervised, tempDir, tlsOf, waitFor, type TempDir } from '../support/fixtures.js';

const subjects = clusterSubjects('c1');

describe('request/serve', () => {
  let dir: TempDir;
  let nats: NatsServerSupervisor;
  let client: BusConnection;
  let server: BusConnection;
  const served: Served[] = [];
  const releases: Array<() => void> = [];

  beforeAll(async () => {
    dir = await tempDir();
    const pki = await makeTestPki(join(dir.path, 'pki'), {
      clients: [
        { name: 'a', cn: 'm1', ou: 'flotilla-manager', o: 'c1' },
        { name: 'b', cn: 'm2', ou: 'flotilla-manager', o: 'c1' },
      ],
    });
    const perms = managerPermissions(subjects);
    nats = await startSupervised(pki, join(dir.path, 'nats'), [
      { user: pki.clients.a!.dn, permissions: perms },
      { user: pki.clients.b!.dn, permissions: perms },
    ]);
    client = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.a!), inboxPrefix: subjects.node.inboxPrefix('m1') });
    server = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.b!), inboxPrefix: subjects.node.inboxPrefix('m2') });
  });

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    await Promise.all(served.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await nats?.stop();
    await dir?.cleanup();
  });

  async function serveOn(subject: string, handler: Handler<Annotations, Meta>): Promise<Served> {
    const s = serve(server.nc, subject, Annotations, Meta, handler);
    served.push(s);
    await server.nc.flush(); // the subscription is known to the server before anyone requests
    return s;
  }

  it('round-trips a typed request and response', async () => {
    const subject = subjects.control.method('Echo');
    await serveOn(subject, (req) => Meta.fromPartial({ version: req.name.length, createdAt: Number(req.labels.at ?? 0) }));
    const res = await request(client.nc, subject, Annotations, Annotations.fromPartial({ name: 'hello', labels: { at: '42' } }), Meta, {
      timeoutMs: 5_000,
    });
    expect(res).toEqual(Meta.fromPartial({ version: 5, createdAt: 42 }));
  });

  it('tells the handler the caller deadline', async () => {
    const subject = subjects.control.method('Deadline');
    let seen: number | undefined;
    const s = serve(server.nc, subject, Annotations, Meta, (_req, ctx) => {
      seen = ctx.deadline;
      return Meta.create();
    });
    served.push(s);
    await server.nc.flush();
    const before = Date.now();
    await request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 30_000 });
    expect(seen).toBeGreaterThanOrEqual(before + 30_000);
    expect(seen).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  it('rethrows a typed error from the handler with its code, message and leader hint', async () => {
    const subject = subjects.store.propose;
    await serveOn(subject, () => {
      throw new BusRequestError(BusError_Code.NOT_LEADER, 'm2 is not the leader', { leaderHint: 'm3' });
    });
    const err = await request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusRequestError);
    expect(err).toMatchObject({ code: BusError_Code.NOT_LEADER, message: 'm2 is not the leader', leaderHint: 'm3', subject });
  });

  it('turns an unexpected handler failure into INTERNAL', async () => {
    const subject = subjects.control.method('Broken');
    await serveOn(subject, () => {
      throw new TypeError('cannot read x of undefined');
    });
    await expect(request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: BusError_Code.INTERNAL,
      message: `handling ${subject}: cannot read x of undefined`,
    });
  });

  it('fails with DEADLINE_EXCEEDED naming subject and deadline when no reply comes in time', async () => {
    const subject = subjects.control.method('Slow');
    await serveOn(subject, () => new Promise<Meta>((resolve) => releases.push(() => resolve(Meta.create()))));
    await expect(request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 200 })).rejects.toMatchObject({
      code: BusError_Code.DEADLINE_EXCEEDED,
      message: `request to ${subject} got no reply within its deadline of 200 ms`,
    });
  });

  it('fails with UNAVAILABLE when nobody serves the subject', async () => {
    const subject = subjects.control.method('Nobody');
    await expect(request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: BusError_Code.UNAVAILABLE,
      message: `no responders for ${subject}`,
    });
  });

  it('answers a malformed request with INVALID_ARGUMENT without calling the handler', async () => {
    const subject = subjects.control.method('Strict');
    let calls = 0;
    await serveOn(subject, () => {
      calls++;
      return Meta.create();
    });
    const reply = await client.nc.request(subject, Uint8Array.from([0x0a, 0x05, 0x61]), { timeout: 5_000 });
    expect(reply.headers?.get(REPLY_KIND_HEADER)).toBe('error');
    const wire = BusError.decode(reply.data);
    expect(wire.code).toBe(BusError_Code.INVALID_ARGUMENT);
    expect(wire.message).toMatch(new RegExp(`^malformed Annotations on subject "${subject.replaceAll('.', '\\.')}"`));
    // A good request afterwards reaches the handler: the subscription survived.
    await request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 });
    expect(calls).toBe(1);
  });

  it('a flood of malformed requests is refused each time but logged as one line, then one summary', async () => {
    const subject = subjects.control.method('Flooded');
    const { logger, messages } = capturingLogger();
    const s = serve(server.nc, subject, Annotations, Meta, () => Meta.create(), { logger });
    await server.nc.flush();
    for (let i = 0; i < 25; i++) {
      const reply = await client.nc.request(subject, Uint8Array.from([0x0a, 0x05, 0x61]), { timeout: 5_000 });
      expect(BusError.decode(reply.data).code).toBe(BusError_Code.INVALID_ARGUMENT);
    }
    expect(messages.filter((m) => /malformed/.test(m))).toEqual([
      `bus: refused a request (cause=malformed, from ${subject}: malformed Annotations on subject "${subject}": premature EOF); more are summed up every 30 s`,
    ]);
    await s.stop();
    expect(messages.filter((m) => /malformed/.test(m))[1]).toMatch(new RegExp(`^bus: refused 24 requests in the last \\d+ s \\(cause=malformed, from 1 subject, e\\.g\\. ${subject.replaceAll('.', '\\.')}\\)$`));
  });

  it('reports a malformed reply as MalformedMessageError naming the response type and subject', async () => {
    const subject = subjects.control.method('Garbage');
    const sub = server.nc.subscribe(subject, { callback: (_e, msg) => void msg.respond(Uint8Array.from([0x0f])) });
    await server.nc.flush();
    try {
      const err = await request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedMessageError);
      expect(err).toMatchObject({ typeName: 'Meta', subject });
    } finally {
      sub.unsubscribe();
    }
  });

  it('shares requests across a queue group', async () => {
    const subject = subjects.control.method('Shared');
    const hits = [0, 0];
    for (const i of [0, 1]) {
      served.push(
        serve(server.nc, subject, Annotations, Meta, () => {
          hits[i]!++;
          return Meta.create();
        }, { queue: 'managers' }),
      );
    }
    await server.nc.flush();
    for (let i = 0; i < 20; i++) await request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 });
    expect(hits[0]! + hits[1]!).toBe(20);
  });

  it('stop() waits for requests being handled, then takes no more', async () => {
    const subject = subjects.control.method('Stopping');
    let release!: () => void;
    let entered = false;
    const s = await serveOn(subject, () => {
      entered = true;
      return new Promise<Meta>((r) => (release = () => r(Meta.fromPartial({ version: 7 }))));
    });
    const pending = request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 });
    await waitFor(() => entered, { what: 'the handler to be entered' });
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await pending).version).toBe(7);
    await expect(request(client.nc, subject, Annotations, Annotations.create(), Meta, { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: BusError_Code.UNAVAILABLE,
    });
  });

  it('refuses a request that cannot be encoded, before sending anything', async () => {
    const bad = { name: 'x', labels: null } as unknown as Annotations;
    await expect(request(client.nc, 'flt.c1.x', Annotations, bad, Meta, { timeoutMs: 1_000 })).rejects.toMatchObject({
      code: BusError_Code.INVALID_ARGUMENT,
      message: expect.stringMatching(/^request to flt\.c1\.x: cannot encode the Annotations: /),
    });
  });

  it('refuses a non-positive timeout before sending anything', async () => {
    await expect(request(client.nc, 'flt.c1.x', Annotations, Annotations.create(), Meta, { timeoutMs: 0 })).rejects.toMatchObject({
      code: BusError_Code.INVALID_ARGUMENT,
    });
  });
});
