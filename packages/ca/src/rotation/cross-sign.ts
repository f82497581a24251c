// Root CA rotation, the certificate part: the new root's public key and name certified by the
// old root. A node that still trusts only the old root accepts a certificate from the new root
// when the peer sends this cross-signed certificate after its own (leaf, cross-signed).
import forge from 'node-forge';
import { X509Certificate } from 'node:crypto';
import { CaError } from '../errors.js';
import { CLOCK_SKEW_MS, type RootCaMaterial } from '../root-ca.js';
import { randomSerialHex } from '../serial.js';

/**
 * The new root's certificate re-issued by the old root: same subject, public key and subject
 * key identifier as the new root, issuer and authority key identifier of the old one (so chain
 * builders never mistake it for self-signed), valid no longer than the old root.
 */
export function crossSignRootCa(oldRoot: RootCaMaterial, newRoot: RootCaMaterial, now = new Date()): string {
  const oldCert = forge.pki.certificateFromPem(oldRoot.certPem);
  const oldKey = forge.pki.privateKeyFromPem(oldRoot.keyPem);
  const newCert = forge.pki.certificateFromPem(newRoot.certPem);
  if (oldRoot.digest === newRoot.digest) throw new CaError('invalid-argument', 'cross-signing a root CA: the new root is the old one');
  const cert = forge.pki.createCertificate();
  cert.publicKey = newCert.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(Math.min(newCert.validity.notAfter.getTime(), oldCert.validity.notAfter.getTime()));
  cert.setSubject(newCert.subject.attributes);
  cert.setIssuer(oldCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: oldCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(oldKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** True when `crossSignedPem` certifies `newRootPem`'s key and is signed by `oldRootPem`. */
export function isCrossSignedBy(crossSignedPem: string, oldRootPem: string, newRootPem: string): boolean {
  const cross = new X509Certificate(crossSignedPem);
  const oldRoot = new X509Certificate(oldRootPem);
  const newRoot = new X509Certificate(newRootPem);
  return cross.ca && cross.checkIssued(oldRoot) && cross.verify(oldRoot.publicKey) && cross.publicKey.equals(newRoot.publicKey);
}
