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
