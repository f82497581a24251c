import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinguishedName, makeTestPki, startTestNats, tempDir, waitFor, WaitTimeoutError, type TempDir, type TestPki } from '../src/index.js';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { what: 'three calls', intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throwing condition as not yet true', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        if (++calls < 2) throw new Error('not yet');
        return 'ok';
      },
      { what: 'the second call', intervalMs: 1 },
    );
    expect(value).toBe('ok');
  });

  it('throws naming what it waited for, with the last error, on deadline', async () => {
    const err = await waitFor(
      () => {
        throw new Error('still down');
      },
      { what: 'the server to come up', timeoutMs: 50, intervalMs: 5 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toBe('timed out after 50 ms waiting for the server to come up; last check threw: still down');
  });

  it('without an error, names only what it waited for', async () => {
    await expect(waitFor(() => false, { what: 'never', timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      /^timed out after 20 ms waiting for never$/,
    );
  });
});

describe('tempDir', () => {
  it('creates a directory and removes it with its contents', async () => {
    const dir = await tempDir();
    await writeFile(join(dir.path, 'f'), 'x');
    expect(existsSync(dir.path)).toBe(true);
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
    await dir.cleanup();
  });
});

describe('makeTestPki', () => {
  let dir: TempDir;
  let pki: TestPki;

  beforeAll(async () => {
    dir = await tempDir();
    pki = await makeTestPki(join(dir.path, 'pki'), { clients: [{ name: 'w', cn: 'node1', ou: 'flotilla-worker', o: 'c1' }] });
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('makes a CA that signed the server and client certificates', () => {
    const ca = new X509Certificate(pki.ca.cert);
    expect(ca.ca).toBe(true);
    const server = new X509Certificate(pki.server.cert);
    const client = new X509Certificate(pki.clients.w!.cert);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(client.checkIssued(ca) && client.verify(ca.publicKey)).toBe(true);
  });

  it('gives the server certificate 127.0.0.1 and localhost', () => {
    const server = new X509Certificate(pki.server.cert);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
  });

  it('gives client certificates the asked subject and the DN nats-server maps', () => {
    const client = new X509Certificate(pki.clients.w!.cert);
    expect(client.subject.split('\n').sort()).toEqual(['CN=node1', 'O=c1', 'OU=flotilla-worker']);
    expect(pki.clients.w!.dn).toBe('CN=node1,OU=flotilla-worker,O=c1');
    expect(distinguishedName({ cn: 'a' })).toBe('CN=a');
  });

  it('issues more clients later, and makes a different CA each time', async () => {
    const more = await pki.issueClient({ name: 'm', cn: 'mgr' });
    expect(pki.clients.m).toBe(more);
    const other = await makeTestPki(join(dir.path, 'other'));
    expect(other.ca.cert).not.toBe(pki.ca.cert);
    expect(new X509Certificate(more.cert).checkIssued(new X509Certificate(other.ca.cert))).toBe(false);
  });

  it('refuses subjects that would need escaping', async () => {
    await expect(pki.issueClient({ name: 'bad', cn: 'a,b' })).rejects.toThrow('client certificate bad: cn "a,b" must match');
    await expect(pki.issueClient({ name: '../x', cn: 'x' })).rejects.toThrow('client certificate name "../x" must be a plain file name');
  });
});

describe('startTestNats', () => {
  let dir: TempDir;
  let pki: TestPki;

  beforeAll(async () => {
    dir = await tempDir();
    pki = await makeTestPki(join(dir.path, 'pki'), {
      clients: [
        { name: 'a', cn: 'a' },
        { name: 'b', cn: 'b' },
      ],
    });
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('runs a mutual-TLS nats-server on an ephemeral loopback port that PKI clients can use', async () => {
    const nats = await startTestNats({ pki });
    const pid = nats.supervisor.pid!;
    try {
      expect(nats.url).toBe(`tls://127.0.0.1:${nats.port}`);
      const a = await nats.connect('a');
      const b = await nats.connect('b');
      const got: string[] = [];
      b.nc.subscribe('greeting', { callback: (_e, m) => void got.push(m.string()) });
      await b.nc.flush();
      a.nc.publish('greeting', 'hello');
      await waitFor(() => got.length > 0, { what: 'the greeting' });
      expect(got).toEqual(['hello']);
      expect(() => nats.tlsFor('nobody')).toThrow('the PKI has no client "nobody" (has a, b)');
    } finally {
      await nats.stop();
    }
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('listens on another loopback address when the server certificate names it', async () => {
    const other = await makeTestPki(join(dir.path, 'pki-127-0-0-2'), { serverHosts: ['127.0.0.2'], clients: [{ name: 'a', cn: 'a' }] });
    expect(new X509Certificate(other.server.cert).checkIP('127.0.0.2')).toBe('127.0.0.2');
    const nats = await startTestNats({ pki: other, host: '127.0.0.2' });
    try {
      expect(nats.url).toBe(`tls://127.0.0.2:${nats.port}`);
      const a = await nats.connect('a');
      await a.nc.flush();
    } finally {
      await nats.stop();
    }
    await expect(startTestNats({ pki: other, host: '10.0.0.1' })).rejects.toThrow('must be a 127.x.y.z loopback address');
  });

  it('admits only the users given', async () => {
    const nats = await startTestNats({ pki, users: [{ user: pki.clients.a!.dn }] });
    try {
      await nats.connect('a');
      await expect(nats.connect('b')).rejects.toThrow(/Authorization Violation/);
    } finally {
      await nats.stop();
    }
  });
});
