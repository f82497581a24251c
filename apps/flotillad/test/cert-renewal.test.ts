import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { finishInterruptedRenewal, installRenewedCertificate, RENEW_AFTER_ENV, renewAfterMsFrom, workerRenewalAddrs } from '../src/swarm/cert-renewal.js';
import { readNodePems, swarmFiles, writeNodePems } from '../src/swarm/swarm-state.js';

describe('renewAfterMsFrom (the test/ops renewal knob)', () => {
  it('is off when unset or empty', () => {
    expect(renewAfterMsFrom({})).toBeUndefined();
    expect(renewAfterMsFrom({ [RENEW_AFTER_ENV]: '' })).toBeUndefined();
  });

  it('reads a positive whole number of milliseconds', () => {
    expect(renewAfterMsFrom({ [RENEW_AFTER_ENV]: '4000' })).toBe(4000);
  });

  it('refuses anything else, naming the variable and the value', () => {
    for (const bad of ['0', '-5', '1.5', '10s', 'soon']) {
      expect(() => renewAfterMsFrom({ [RENEW_AFTER_ENV]: bad })).toThrow(`${RENEW_AFTER_ENV}=${bad}: expected a positive whole number of milliseconds`);
    }
  });
});

describe('workerRenewalAddrs', () => {
  it('tries the manager it joined through, then every manager it knows by NATS on the same CA port', () => {
    expect(workerRenewalAddrs({ joinedVia: '10.0.0.1:2377', natsServers: ['tls://10.0.0.1:4222', 'tls://10.0.0.2:4222', 'tls://10.0.0.3:4222'] })).toEqual([
      '10.0.0.1:2377',
      '10.0.0.2:2377',
      '10.0.0.3:2377',
    ]);
  });

  it('has nothing to add without a joined-through port, and nothing at all without either', () => {
    expect(workerRenewalAddrs({ joinedVia: '', natsServers: ['tls://10.0.0.2:4222'] })).toEqual([]);
    expect(workerRenewalAddrs({ natsServers: [] })).toEqual([]);
  });
});

describe('installing renewed certificate files (real files in a temp data dir)', () => {
  const log = pino({ level: 'silent' });
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const pem = (what: string) => `-----BEGIN ${what}-----\n${Math.random().toString(36)}\n-----END ${what}-----\n`;
  const set = () => ({ certPem: pem('CERTIFICATE'), keyPem: pem('PRIVATE KEY'), caCertPem: pem('CERTIFICATE') });
  async function dataDir() {
    const d = await mkdtemp(join(tmpdir(), 'flotillad-cert-install-'));
    dirs.push(d);
    return swarmFiles(d);
  }
  const pendingOf = (files: ReturnType<typeof swarmFiles>) => join(dirname(files.nodeCert), 'renewal-pending.json');

  it('writes the three files and leaves no pending set behind', async () => {
    const files = await dataDir();
    await writeNodePems(files, set());
    const next = set();
    await installRenewedCertificate(files, next);
    expect(await readNodePems(files)).toMatchObject(next);
    await expect(access(pendingOf(files))).rejects.toThrow();
    expect(await finishInterruptedRenewal(files, log)).toBe(false);
  });

  it('a crash between the certificate and its key is finished at the next start', async () => {
    const files = await dataDir();
    const old = set();
    await writeNodePems(files, old);
    const next = set();
    // What a crash leaves: the pending set, the new certificate, the old key.
    await writeFile(pendingOf(files), JSON.stringify(next), { mode: 0o600 });
    await writeFile(files.nodeCert, next.certPem);
    expect(await finishInterruptedRenewal(files, log)).toBe(true);
    expect(await readNodePems(files)).toMatchObject(next);
    await expect(access(pendingOf(files))).rejects.toThrow();
  });

  it('refuses a pending file without PEMs and changes nothing', async () => {
    const files = await dataDir();
    const old = set();
    await writeNodePems(files, old);
    await writeFile(pendingOf(files), JSON.stringify({ certPem: 'nope' }));
    await expect(finishInterruptedRenewal(files, log)).rejects.toThrow('has no PEM certPem');
    expect(await readNodePems(files)).toMatchObject(old);
    expect(await readFile(pendingOf(files), 'utf8')).toContain('nope');
  });
});
