import { NodeRole } from '@flotilla/api';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCsr, parseCsr } from '../src/csr.js';
import { DAY_MS, HOUR_MS } from '../src/duration.js';
import { newNodeId } from '../src/ids.js';
import { DEFAULT_NODE_CERT_EXPIRY_MS, signNodeCertificate } from '../src/node-cert.js';
import { createRootCa } from '../src/root-ca.js';
import { readNodeIdentity, verifyNodeCertificate } from '../src/verify.js';

const rootCa = createRootCa({ clusterId: 'cluster-1' });
const otherCa = createRootCa({ clusterId: 'cluster-1' });

describe('createCsr', () => {
  it('signs the request with the node key it returns', () => {
    const { csrPem, keyPem } = createCsr('abc');
    const parsed = parseCsr(csrPem);
    expect(parsed.commonName).toBe('abc');
    expect(keyPem).toContain('PRIVATE KEY');
  });

  it('refuses a request whose signature does not match', () => {
    const { csrPem } = createCsr();
    const body = csrPem.split('\n');
    // Flip a character in the middle of the base64 body (inside the signature area).
    const line = body.length - 4;
    const original = body[line] ?? '';
    body[line] = original.slice(0, 10) + (original[10] === 'A' ? 'B' : 'A') + original.slice(11);
    expect(() => parseCsr(body.join('\n'))).toThrow(/certificate request/);
    expect(() => parseCsr('garbage')).toThrow('not a valid PEM PKCS#10 RSA request');
  });
});

describe('signNodeCertificate', () => {
  const nodeId = newNodeId();
  const { csrPem, keyPem } = createCsr();

  it('issues a worker certificate with identity from the CA, not the CSR', () => {
    const certPem = signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1' });
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(rootCa.certPem);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true); // "this certificate was issued by ca"
    expect(cert.subject.split('\n')).toEqual([`CN=${nodeId}`, 'OU=flotilla-worker', 'O=cluster-1']);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    const identity = verifyNodeCertificate(certPem, { caCertPem: rootCa.certPem, clusterId: 'cluster-1' });
    expect(identity).toMatchObject({ nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1' });
  });

  it('defaults to 90 days and honours the cluster expiry', () => {
    const def = new X509Certificate(signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1' }));
    const lifetime = Date.parse(def.validTo) - Date.now();
    expect(lifetime).toBeLessThanOrEqual(DEFAULT_NODE_CERT_EXPIRY_MS);
    expect(lifetime).toBeGreaterThan(DEFAULT_NODE_CERT_EXPIRY_MS - HOUR_MS);
    const short = new X509Certificate(signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1', expiryMs: 2 * HOUR_MS }));
    expect(Date.parse(short.validTo) - Date.now()).toBeLessThanOrEqual(2 * HOUR_MS);
    expect(Date.parse(short.validTo) - Date.now()).toBeGreaterThan(HOUR_MS);
  });

  it('rejects an expiry under one hour with a clear error', () => {
    expect(() => signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1', expiryMs: 59 * 60 * 1000 }))
      .toThrow('node certificate expiry must be at least 1 hour (3600000 ms), got 3540000 ms');
  });

  it('puts manager addresses in the SANs, and none for workers', () => {
    const addresses = ['10.0.0.1', 'manager1.example', '::1'];
    const manager = new X509Certificate(signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_MANAGER, clusterId: 'cluster-1', addresses }));
    expect(manager.subject).toContain('OU=flotilla-manager');
    expect(manager.subjectAltName).toContain('IP Address:10.0.0.1');
    expect(manager.subjectAltName).toContain('DNS:manager1.example');
    expect(manager.subjectAltName).toContain('DNS:flotilla-manager');
    expect(manager.checkIP('10.0.0.1')).toBe('10.0.0.1');
    expect(manager.checkHost('flotilla-manager')).toBe('flotilla-manager');
    const worker = new X509Certificate(signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1', addresses }));
    expect(worker.subjectAltName).not.toContain('10.0.0.1');
    expect(worker.checkHost('flotilla-manager')).toBeUndefined();
    expect(() => signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_MANAGER, clusterId: 'cluster-1', addresses: ['bad host!'] }))
      .toThrow('is neither an IP nor a DNS name');
  });

  it('verification refuses a certificate from another CA or another cluster', () => {
    const foreign = signNodeCertificate({ rootCa: otherCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-1' });
    expect(() => verifyNodeCertificate(foreign, { caCertPem: rootCa.certPem })).toThrow("not signed by the cluster's root CA");
    const ours = signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_WORKER, clusterId: 'cluster-2' });
    expect(() => verifyNodeCertificate(ours, { caCertPem: rootCa.certPem, clusterId: 'cluster-1' })).toThrow('belongs to cluster cluster-2, not cluster-1');
    expect(() => verifyNodeCertificate(ours, { caCertPem: rootCa.certPem, now: new Date(Date.now() + 100 * DAY_MS) })).toThrow('not valid at');
  });

  it('rejects a malformed node ID', () => {
    expect(() => signNodeCertificate({ rootCa, csrPem, nodeId: 'Bad', role: NodeRole.NODE_ROLE_WORKER, clusterId: 'c' })).toThrow('not a valid node ID');
  });

  it('readNodeIdentity refuses a certificate without flotilla fields', () => {
    expect(() => readNodeIdentity(new X509Certificate(rootCa.certPem))).toThrow('lacks CN, a flotilla OU or O');
  });
});
