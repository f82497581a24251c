import { NodeRole } from '@flotilla/api';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issuedCertificate } from '../src/issued-certificate.js';
import { issueLocalNodeCredentials } from '../src/local-issue.js';
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
});
