import { X509Certificate, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRootCa, loadRootCa, ROOT_CA_COMMON_NAME } from '../src/root-ca.js';
import { HOUR_MS, DAY_MS } from '../src/duration.js';

describe('createRootCa', () => {
  const ca = createRootCa({ clusterId: 'cluster-abc', expiry: 10 * DAY_MS });
  const x509 = new X509Certificate(ca.certPem);

  it('is a self-signed CA certificate for the cluster', () => {
    expect(x509.ca).toBe(true);
    expect(x509.subject).toContain(`CN=${ROOT_CA_COMMON_NAME}`);
    expect(x509.subject).toContain('O=cluster-abc');
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkIssued(x509)).toBe(true);
  });

  it('has the requested validity', () => {
    const validMs = Date.parse(x509.validTo) - Date.now();
    expect(validMs).toBeGreaterThan(10 * DAY_MS - HOUR_MS);
    expect(validMs).toBeLessThanOrEqual(10 * DAY_MS);
  });

  it('reports the sha256 digest of the DER certificate', () => {
    expect(ca.digest).toBe(createHash('sha256').update(x509.raw).digest('hex'));
    expect(ca.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('makes a new key and digest every time', () => {
    const other = createRootCa({ clusterId: 'cluster-abc' });
    expect(other.digest).not.toBe(ca.digest);
    expect(other.keyPem).not.toBe(ca.keyPem);
  });

  it('round-trips through loadRootCa and rejects a foreign key', () => {
    expect(loadRootCa(ca.certPem, ca.keyPem).digest).toBe(ca.digest);
    const other = createRootCa({ clusterId: 'cluster-abc' });
    expect(() => loadRootCa(ca.certPem, other.keyPem)).toThrow('key does not match the certificate');
  });

  it('rejects bad input with clear errors', () => {
    expect(() => createRootCa({ clusterId: '' })).toThrow('clusterId must be a non-empty string');
    expect(() => createRootCa({ clusterId: 'c', expiry: 1000 })).toThrow('expiry must be at least 1 hour');
    expect(() => loadRootCa('not a pem', ca.keyPem)).toThrow('certificate is not valid PEM');
  });
});
