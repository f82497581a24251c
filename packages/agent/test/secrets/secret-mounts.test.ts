import { describe, expect, it } from 'vitest';
import { planSecretFiles, tmpfsSizeFor } from '../../src/index.js';

const ref = (over: Partial<Parameters<typeof planSecretFiles>[0][number]>) => ({ secretId: 'sid', secretName: 'db_pass', target: '', uid: '', gid: '', mode: 0, ...over });

describe('planSecretFiles', () => {
  it('puts a relative target under /run/secrets with docker defaults (root, 0444)', () => {
    expect(planSecretFiles([ref({ target: 'db_pass' })])).toEqual([{ file: '0-sid', target: '/run/secrets/db_pass', uid: 0, gid: 0, mode: 0o444, secretId: 'sid' }]);
  });

  it('keeps uid, gid, mode and an absolute target; falls back to the name', () => {
    const [a, b] = planSecretFiles([ref({ target: '/etc/app/key', uid: '1000', gid: '50', mode: 0o400 }), ref({ secretId: 's2', secretName: 'tls' })]);
    expect(a).toMatchObject({ target: '/etc/app/key', uid: 1000, gid: 50, mode: 0o400 });
    expect(b).toMatchObject({ file: '1-s2', target: '/run/secrets/tls' });
  });

  it('refuses a target that climbs out', () => {
    expect(() => planSecretFiles([ref({ target: '../../etc/shadow' })])).toThrow('secret db_pass has an invalid target "../../etc/shadow"');
  });

  it('sizes the tmpfs from the values, page-aligned, never below 64 KiB', () => {
    expect(tmpfsSizeFor(10)).toBeGreaterThanOrEqual(64 * 1024);
    expect(tmpfsSizeFor(10) % 4096).toBe(0);
    expect(tmpfsSizeFor(500 * 1024) % 4096).toBe(0);
    expect(tmpfsSizeFor(500 * 1024)).toBeGreaterThan(500 * 1024);
  });
});

describe('planConfigFiles (issue 15)', () => {
  it('puts a config at its target, /<name> by default, relative targets from /', async () => {
    const { planConfigFiles } = await import('../../src/secrets/secret-mounts.js');
    const plan = planConfigFiles([
      { configId: 'c1', configName: 'nginx.conf', target: '', uid: '', gid: '', mode: 0 },
      { configId: 'c2', configName: 'b', target: 'etc/b.conf', uid: '101', gid: '102', mode: 0o440 },
    ]);
    expect(plan.map((p) => [p.target, p.uid, p.gid, p.mode])).toEqual([
      ['/nginx.conf', 0, 0, 0o444],
      ['/etc/b.conf', 101, 102, 0o440],
    ]);
    expect(() => planConfigFiles([{ configId: 'c3', configName: 'x', target: '/../etc/passwd', uid: '', gid: '', mode: 0 }])).toThrow(/invalid target/);
  });
});
