import {
  GetJoinTokensRequest,
  GetRouteKeysRequest,
  GetRootCaCertificateRequest,
  IssueNodeCertificateRequest,
  JoinTokens,
  NodeCaClient,
  RenewNodeCertificateRequest,
} from '@flotilla/api';
import { ChannelCredentials, Metadata, ServiceError } from '@grpc/grpc-js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCsr } from '../csr.js';
import { certificateDigest } from '../digest.js';
import { splitPemCertificates } from '../pem-bundle.js';
import { CaError } from '../errors.js';
import { checkCaPin, parseJoinToken } from '../join-token.js';
import { NodeCredentials } from '../local-issue.js';
import { isPublicKeySha256 } from '../public-key.js';
import { isCertRole } from '../roles.js';
import { readNodeIdentity, verifyNodeCertificate } from '../verify.js';
import { managerChannelCredentials, MANAGER_CHANNEL_OPTIONS, unverifiedChannelCredentials } from './client-credentials.js';
import { fromServiceError } from './status.js';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response: Res) => void,
) => unknown;

async function callOnce<Req, Res>(
  addr: string,
  credentials: ChannelCredentials,
  pick: (client: NodeCaClient) => UnaryMethod<Req, Res>,
  request: Req,
  doing: string,
  timeoutMs: number,
): Promise<Res> {
  const client = new NodeCaClient(addr, credentials, MANAGER_CHANNEL_OPTIONS);
  try {
    return await new Promise<Res>((resolve, reject) => {
      pick(client).call(client, request, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
        if (err) reject(fromServiceError(err, doing));
        else resolve(response);
      });
    });
  } finally {
    client.close();
  }
}

export interface CallOptions {
  /** host:port of a manager. */
  addr: string;
  timeoutMs?: number;
}

/** The CA certificate a manager shows to anyone; worthless until pinned. */
export async function fetchRootCaCertificate(options: CallOptions): Promise<string> {
  const response = await callOnce(
    options.addr,
    unverifiedChannelCredentials(),
    (c) => c.getRootCaCertificate as UnaryMethod<GetRootCaCertificateRequest, { certificate: Uint8Array }>,
    GetRootCaCertificateRequest.fromPartial({}),
    `fetching the root CA from ${options.addr}`,
    options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
  return Buffer.from(response.certificate).toString('utf8');
}

function clusterIdOfCa(caCertPem: string): string {
  const o = new X509Certificate(caCertPem).subject.split('\n').find((line) => line.startsWith('O='));
  if (o === undefined) throw new CaError('certificate-invalid', 'the root CA certificate names no cluster (no O= in its subject)');
  return o.slice(2);
}

type IssuedResponse = { nodeId: string; role: unknown; certificate: Uint8Array; rootCaCertificate: Uint8Array; routeKeys?: string[] };

/**
 * Checks what a manager handed back before the node stores it. The certificate may be a chain
 * (leaf + cross-signed root during a root CA rotation) and the root a bundle of the roots to
 * trust from now on; the manager was authenticated against what this node trusted already.
 */
function acceptIssued(response: IssuedResponse, keyPem: string, trustedPem: string, doing: string): NodeCredentials {
  const certPem = Buffer.from(response.certificate).toString('utf8');
  const handedTrust = Buffer.from(response.rootCaCertificate).toString('utf8');
  const caCertPem = handedTrust.includes('-----BEGIN CERTIFICATE-----') ? handedTrust : trustedPem;
  const clusterId = clusterIdOfCa(trustedPem);
  // A new trust bundle must keep a root this node trusts (a rotation adds the new root first and
  // drops the old one only after every node holds a new-root certificate).
  const trusted = new Set(splitPemCertificates(trustedPem).map(certificateDigest));
  if (clusterIdOfCa(caCertPem) !== clusterId || !splitPemCertificates(caCertPem).some((pem) => trusted.has(certificateDigest(pem)))) {
    throw new CaError('certificate-invalid', `${doing}: the manager handed back root CA certificates this node has no reason to trust`);
  }
  const identity = verifyNodeCertificate(certPem, { caCertPem, clusterId });
  if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) {
    throw new CaError('certificate-invalid', `${doing}: the issued certificate is not for this node's key`);
  }
  if (identity.nodeId !== response.nodeId || !isCertRole(response.role) || identity.role !== response.role) {
    throw new CaError('certificate-invalid', `${doing}: the issued certificate does not match the reply (node ${response.nodeId})`);
  }
  const routeKeys = response.routeKeys ?? [];
  const badKey = routeKeys.find((k) => !isPublicKeySha256(k));
  if (badKey !== undefined) {
    throw new CaError('certificate-invalid', `${doing}: the manager handed back a route key that is not a hex sha256: ${JSON.stringify(badKey.slice(0, 80))}`);
  }
  return { nodeId: identity.nodeId, role: identity.role, certPem, keyPem, caCertPem, ...(routeKeys.length > 0 ? { routeKeys: [...routeKeys] } : {}) };
}

export interface JoinOptions extends CallOptions {
  token: string;
  /** This node's advertised addresses, for the SANs if it joins as a manager. */
  addresses?: string[];
}

/**
 * The joining side: shape-check the token, fetch the CA over unverified TLS,
 * pin it by the token's digest, then send a CSR over TLS verified against the
 * pinned CA. The private key never leaves this process.
 */
export async function joinCluster(options: JoinOptions): Promise<NodeCredentials> {
  parseJoinToken(options.token);
  const caCertPem = await fetchRootCaCertificate(options);
  checkCaPin(options.token, caCertPem);
  const clusterId = clusterIdOfCa(caCertPem);
  const { csrPem, keyPem } = createCsr();
  const doing = `joining the cluster at ${options.addr}`;
  const response = await callOnce(
    options.addr,
    managerChannelCredentials({ caCertPem, clusterId }),
    (c) => c.issueNodeCertificate as UnaryMethod<IssueNodeCertificateRequest, IssuedResponse>,
    IssueNodeCertificateRequest.fromPartial({ token: options.token.trim(), csr: Buffer.from(csrPem), addresses: options.addresses ?? [] }),
    doing,
    options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
  return acceptIssued(response, keyPem, caCertPem, doing);
}

export interface RenewOptions extends CallOptions {
  current: NodeCredentials;
  addresses?: string[];
}

/** A fresh key and certificate, authenticated by the current certificate; the role is whatever the cluster says now. */
export async function renewNodeCertificate(options: RenewOptions): Promise<NodeCredentials> {
  const { current } = options;
  const clusterId = readNodeIdentity(new X509Certificate(current.certPem)).clusterId;
  const { csrPem, keyPem } = createCsr(current.nodeId);
  const doing = `renewing the certificate of node ${current.nodeId} at ${options.addr}`;
  const response = await callOnce(
    options.addr,
    managerChannelCredentials({ caCertPem: current.caCertPem, clusterId, certPem: current.certPem, keyPem: current.keyPem }),
    (c) => c.renewNodeCertificate as UnaryMethod<RenewNodeCertificateRequest, IssuedResponse>,
    RenewNodeCertificateRequest.fromPartial({ csr: Buffer.from(csrPem), addresses: options.addresses ?? [] }),
    doing,
    options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
  return acceptIssued(response, keyPem, current.caCertPem, doing);
}

/** Manager-only: the keys the managers' nats-servers accept routes from now (checked to be hex sha256s). */
export async function getRouteKeys(options: CallOptions & { credentials: NodeCredentials }): Promise<string[]> {
  const { credentials } = options;
  const clusterId = readNodeIdentity(new X509Certificate(credentials.certPem)).clusterId;
  const doing = `reading the route keys from ${options.addr}`;
  const response = await callOnce(
    options.addr,
    managerChannelCredentials({ caCertPem: credentials.caCertPem, clusterId, certPem: credentials.certPem, keyPem: credentials.keyPem }),
    (c) => c.getRouteKeys as UnaryMethod<GetRouteKeysRequest, { routeKeys: string[] }>,
    GetRouteKeysRequest.fromPartial({}),
    doing,
    options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
  const bad = response.routeKeys.find((k) => !isPublicKeySha256(k));
  if (bad !== undefined) throw new CaError('certificate-invalid', `${doing}: the manager handed back a route key that is not a hex sha256: ${JSON.stringify(bad.slice(0, 80))}`);
  return [...response.routeKeys];
}

/** Manager-only: the current join tokens. */
export async function getJoinTokens(options: CallOptions & { credentials: NodeCredentials }): Promise<JoinTokens> {
  const { credentials } = options;
  const clusterId = readNodeIdentity(new X509Certificate(credentials.certPem)).clusterId;
  const response = await callOnce(
    options.addr,
    managerChannelCredentials({ caCertPem: credentials.caCertPem, clusterId, certPem: credentials.certPem, keyPem: credentials.keyPem }),
    (c) => c.getJoinTokens as UnaryMethod<GetJoinTokensRequest, { joinTokens?: JoinTokens | undefined }>,
    GetJoinTokensRequest.fromPartial({}),
    `reading the join tokens from ${options.addr}`,
    options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
  return response.joinTokens ?? { worker: '', manager: '', service: '' };
}
