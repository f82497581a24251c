import { NodeRole } from '@flotilla/api';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issuedCertificate } from '../src/issued-certificate.js';
import { issueLocalNodeCredentials } from '../src/local-issue.js';
import { certificateKeySha256, isPublicKeySha256 } from '../src/public-key.js';
import { createRootCa } from '../src/root-ca.js';

describe('issuedCertificate', () => {
  it("reads the expiry and the root CA's subject of an issued certificate (a chain reads as its leaf)", () => {
    const rootCa = createRootCa({ clusterId: 'cluster-facts' });
    const node = issueLocalNodeCredentials({ rootCa, clusterId: 'cluster-facts', role: NodeRole.NODE_ROLE_WORKER, expiryMs: 2 * 3600_000 });
    const facts = issuedCertificate(node.certPem);
    expect(facts.certNotAfterMs).toBe(new Date(new X509Certificate(node.certPem).validTo).getTime());
    expect(facts.certNotAfterMs).toBeGreaterThan(Date.now() + 3600_000);
    expect(facts.certIssuerSubject.split(', ').sort()).toEqual(['CN=flotilla-root-ca', 'O=cluster-facts']);
    expect(issuedCertificate(node.certPem + rootCa.certPem)).toEqual(facts);
  });

  it('hashes the public key the way nats-server pinned_certs and openssl do, the same through a chain', () => {
    const rootCa = createRootCa({ clusterId: 'cluster-pin' });
    const node = issueLocalNodeCredentials({ rootCa, clusterId: 'cluster-pin', role: NodeRole.NODE_ROLE_MANAGER });
    const pubkey = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: node.certPem });
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pubkey });
    const expected = execFileSync('sha256sum', [], { input: der }).toString().split(' ')[0];
    const facts = issuedCertificate(node.certPem);
    expect(facts.publicKeySha256).toBe(expected);
    expect(isPublicKeySha256(facts.publicKeySha256)).toBe(true);
    expect(certificateKeySha256(node.certPem + rootCa.certPem)).toBe(expected);
    const other = issueLocalNodeCredentials({ rootCa, clusterId: 'cluster-pin', role: NodeRole.NODE_ROLE_MANAGER });
    expect(issuedCertificate(other.certPem).publicKeySha256).not.toBe(expected);
    expect(isPublicKeySha256(expected!.toUpperCase())).toBe(false);
    expect(isPublicKeySha256('ab')).toBe(false);
  });
});
