import { ExternalCa } from '@flotilla/api';
import forge from 'node-forge';
import { createPublicKey, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { parseCsr } from './csr.js';
import { nodeSanHosts } from './node-cert.js';
import { CaError } from './errors.js';
import { isValidNodeId } from './ids.js';
import { CertRole, isCertRole, roleToOu } from './roles.js';
import { NodeCertificateSigner, NodeSignRequest } from './signer.js';
import { verifyNodeCertificate } from './verify.js';

export interface CfsslSignerOptions {
  /** Base URL of the CFSSL API, e.g. https://ca.example:8888 (the signer adds /api/v1/cfssl/sign). */
  url: string;
  /** The cluster's root CA certificate: the external CA must sign with it, and every answer is checked against it. */
  caCertPem: string;
  /** CFSSL signing profile; the profile decides validity (CFSSL has no per-request expiry). */
  profile?: string;
  /** TLS to the CFSSL server when the URL is https: its CA, and a client certificate if it wants mutual TLS. */
  tls?: { ca?: string; certPem?: string; keyPem?: string };
  timeoutMs?: number;
}

interface CfsslResponse {
  success?: boolean;
  result?: { certificate?: string };
  errors?: { code?: number; message?: string }[];
}

function postJson(url: URL, body: unknown, options: CfsslSignerOptions): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        timeout: options.timeoutMs ?? 10_000,
        ca: options.tls?.ca,
        cert: options.tls?.certPem,
        key: options.tls?.keyPem,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * External CA over the CFSSL signing API (`POST /api/v1/cfssl/sign`), as
 * swarm's `--external-ca protocol=cfssl` does. The request carries the CSR and
 * our identity as a subject override plus SANs; the answer is trusted only
 * after it checks out against the cluster's root CA with exactly the identity
 * we asked for, because the external CA is outside our control.
 */
export function cfsslSigner(options: CfsslSignerOptions): NodeCertificateSigner {
  const endpoint = new URL('/api/v1/cfssl/sign', options.url);
  return {
    kind: 'cfssl',
    async sign(request: NodeSignRequest): Promise<string> {
      if (!isValidNodeId(request.nodeId) || !isCertRole(request.role)) {
        throw new CaError('invalid-argument', `signing through CFSSL: bad node ID "${request.nodeId}" or role ${String(request.role)}`);
      }
      parseCsr(request.csrPem);
      const body = {
        certificate_request: request.csrPem,
        hosts: nodeSanHosts(request.nodeId, request.role, request.addresses),
        subject: { CN: request.nodeId, names: [{ O: request.clusterId, OU: roleToOu(request.role) }] },
        ...(options.profile === undefined ? {} : { profile: options.profile }),
      };
      const doing = `signing the certificate of node ${request.nodeId} with the external CA at ${endpoint.origin}`;
      let answer: { status: number; text: string };
      try {
        answer = await postJson(endpoint, body, options);
      } catch (err) {
        throw new CaError('unavailable', `${doing}: ${(err as Error).message}`);
      }
      let parsed: CfsslResponse;
      try {
        parsed = JSON.parse(answer.text) as CfsslResponse;
      } catch {
        throw new CaError('unavailable', `${doing}: HTTP ${answer.status}, not a CFSSL JSON answer`);
      }
      const certPem = parsed.result?.certificate;
      if (answer.status !== 200 || parsed.success !== true || typeof certPem !== 'string') {
        const reasons = (parsed.errors ?? []).map((e) => `${e.code ?? '?'}: ${e.message ?? ''}`).join('; ');
        throw new CaError('unavailable', `${doing}: refused (HTTP ${answer.status}${reasons ? `, ${reasons}` : ''})`);
      }
      checkIssued(certPem, request, options.caCertPem, doing);
      return certPem;
    },
  };
}

function checkIssued(certPem: string, request: NodeSignRequest, caCertPem: string, doing: string): void {
  let identity;
  try {
    identity = verifyNodeCertificate(certPem, { caCertPem, clusterId: request.clusterId });
  } catch (err) {
    throw new CaError('certificate-invalid', `${doing}: the external CA returned an unusable certificate (${(err as Error).message})`);
  }
  const wantRole: CertRole = request.role;
  if (identity.nodeId !== request.nodeId || identity.role !== wantRole) {
    throw new CaError('certificate-invalid', `${doing}: the external CA returned a certificate for ${identity.nodeId}/${roleToOu(identity.role)}`);
  }
  const cert = new X509Certificate(certPem);
  const csrKey = createPublicKey(forge.pki.publicKeyToPem(parseCsr(request.csrPem).publicKey)).export({ type: 'spki', format: 'der' });
  if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(csrKey)) {
    throw new CaError('certificate-invalid', `${doing}: the external CA returned a certificate for a different key`);
  }
  const eku = cert.keyUsage ?? [];
  if (!eku.includes('1.3.6.1.5.5.7.3.1') || !eku.includes('1.3.6.1.5.5.7.3.2')) {
    throw new CaError('certificate-invalid', `${doing}: the external CA's profile must allow both server auth and client auth`);
  }
}

/**
 * The signer named by the cluster spec (`CaConfig.external_cas`), or undefined
 * when none is configured and the root CA key signs. Only "cfssl" exists, as in
 * swarm; option `profile` selects the CFSSL profile.
 */
export function signerFromExternalCas(externalCas: readonly ExternalCa[], caCertPem: string): NodeCertificateSigner | undefined {
  const first = externalCas[0];
  if (first === undefined) return undefined;
  if (first.protocol.toLowerCase() !== 'cfssl') {
    throw new CaError('invalid-argument', `external CA ${first.url}: protocol "${first.protocol}" is not supported (only "cfssl")`);
  }
  let url: URL;
  try {
    url = new URL(first.url);
  } catch {
    throw new CaError('invalid-argument', `external CA: "${first.url}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CaError('invalid-argument', `external CA ${first.url}: the URL must be http or https`);
  }
  const profile = first.options['profile'];
  return cfsslSigner({ url: first.url, caCertPem, ...(profile === undefined ? {} : { profile }) });
}
