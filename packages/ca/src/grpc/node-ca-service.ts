import {
  GetJoinTokensResponse,
  GetRouteKeysResponse,
  GetRootCaCertificateResponse,
  IssueNodeCertificateResponse,
  JoinTokens,
  NodeCaServer,
  NodeRole,
  RenewNodeCertificateResponse,
} from '@flotilla/api';
import { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { RefusalLog } from '@flotilla/bus';
import { parseCsr } from '../csr.js';
import { CaError } from '../errors.js';
import { newNodeId } from '../ids.js';
import { matchJoinToken } from '../join-token.js';
import { localSigner, NodeCertificateSigner } from '../signer.js';
import { CertRole, roleToOu } from '../roles.js';
import { RootCaMaterial } from '../root-ca.js';
import { issuedCertificate, IssuedCertificate } from '../issued-certificate.js';
import { issuancePlan, type IssuancePlan, type RootRotationRecord } from '../rotation/rotation-plan.js';
import { HasAuthContext, PeerPolicy, requirePeer, requireRole } from './peer.js';
import { certificateKeySha256 } from '../public-key.js';
import { toStatus } from './status.js';

/** What the CA reads from the cluster state (the store on a manager) at each call. */
export interface NodeCaState {
  clusterId: string;
  rootCa(): RootCaMaterial;
  joinTokens(): JoinTokens;
  /** CaConfig.node_cert_expiry_ms; undefined or 0 = 90 days. */
  nodeCertExpiryMs(): number | undefined;
  deniedNodeIds(): Iterable<string>;
  /** The role the cluster wants the node to have now; undefined keeps the role in its certificate. */
  currentRole?(nodeId: string): CertRole | undefined;
  /**
   * Whether the node is a manager now: its Node object says manager and no demotion is asked for.
   * Manager-only calls (the control API, join tokens, route keys) need it besides a manager
   * certificate, which outlives a demotion. Absent: the certificate's role decides.
   */
  isManagerNow?(nodeId: string): boolean;
  /** A root CA rotation under way (Cluster.root_ca.rotation), read per call like the rest. */
  rotation?(): RootRotationRecord | undefined;
  /** Told after a join so the owner can record the new node (and which root issued it, for a rotation's progress). */
  onNodeJoined?(event: { nodeId: string; role: CertRole; addresses: string[] } & IssuedBy & IssuedCertificate): void | Promise<void>;
  /**
   * Told before a renewed certificate is returned, with the role it carries and the one it had, so
   * the owner can record a role change (a promoted node becomes a manager once it holds the certificate).
   */
  onNodeRenewed?(
    event: { nodeId: string; role: CertRole; previousRole: CertRole; renewedWith: { publicKeySha256: string; notAfterMs: number }; addresses: string[] } & IssuedBy & IssuedCertificate,
  ): void | Promise<void>;
  /**
   * The public keys the managers' nats-servers accept routes from now (see natsRouteKeys), read
   * after the join/renew hook has recorded the node: handed back with every manager certificate,
   * because a node starting its own nats-server must pin the others before it can read the store.
   */
  routeKeys?(): string[];
  /** An external CA (CFSSL) when the cluster has one; otherwise the root CA key signs. */
  externalSigner?(): NodeCertificateSigner | undefined;
}

/** Which root issued a certificate and whether the node still trusts the old one (root CA rotation). */
export interface IssuedBy {
  issuerDigest: string;
  trustsOldRoot: boolean;
}

function planOf(state: NodeCaState): IssuancePlan {
  return issuancePlan(state.rootCa(), state.rotation?.());
}

function signerOf(state: NodeCaState, plan: IssuancePlan): NodeCertificateSigner {
  // While migrating, the new root (whose key the managers hold) signs, even for an external-CA cluster.
  if (plan.signWith.digest !== state.rootCa().digest) return localSigner(plan.signWith);
  return state.externalSigner?.() ?? localSigner(plan.signWith);
}

export function peerPolicyOf(state: NodeCaState): PeerPolicy {
  return {
    clusterId: state.clusterId,
    caCertPem: () => planOf(state).trust,
    deniedNodeIds: () => state.deniedNodeIds(),
    ...(state.isManagerNow ? { isManagerNow: (nodeId: string) => state.isManagerNow!(nodeId) } : {}),
  };
}

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** Runs a handler body and maps refusals to statuses; unexpected failures are logged and reported without internals. */
function unary<Req, Res>(logger: Logger, refusals: RefusalLog, method: string, body: (call: ServerUnaryCall<Req, Res>) => Promise<Res>): Handler<Req, Res> {
  return (call, callback) => {
    body(call).then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (err instanceof CaError) {
          // A stranger can call as often as it likes (bad tokens, wrong digests): counted and summed up.
          refusals.refuse(err.code, peerHost(call.getPeer()), `${method}: ${err.message}`);
          callback(toStatus(err));
          return;
        }
        logger.error({ method, peer: call.getPeer(), err }, 'node CA call failed');
        callback(toStatus(new CaError('unavailable', `${method} failed on the manager; see its logs`)));
      },
    );
  };
}

/** Only a manager runs a nats-server that routes; a worker is told nothing about the managers' keys. */
function routeKeysFor(state: NodeCaState, role: CertRole): string[] {
  return role === NodeRole.NODE_ROLE_MANAGER ? (state.routeKeys?.() ?? []) : [];
}

function callerCertificate(call: HasAuthContext): { publicKeySha256: string; notAfterMs: number } {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (raw === undefined) return { publicKeySha256: '', notAfterMs: 0 };
  const cert = new X509Certificate(raw);
  return { publicKeySha256: certificateKeySha256(cert), notAfterMs: new Date(cert.validTo).getTime() };
}

/** grpc-js's "ipv4:10.0.0.5:41234" / "ipv6:[::1]:41234" → the address alone. */
export function peerHost(peer: string): string {
  const m = /^(?:ipv[46]:)?(?:\[([^\]]+)\]|([^:]+)):\d+$/.exec(peer);
  return m ? (m[1] ?? m[2]!) : peer;
}

/** How refusals on the managers' port are summed up in the log (one line per cause and interval). */
export function nodeCaRefusalLog(logger: Logger): RefusalLog {
  return new RefusalLog({ log: logger, what: 'node CA', noun: 'calls', level: 'info' });
}

export function createNodeCaHandlers(state: NodeCaState, logger: Logger, refusals: RefusalLog = nodeCaRefusalLog(logger)): NodeCaServer {
  const policy = peerPolicyOf(state);

  return {
    getRootCaCertificate: unary(logger, refusals, 'GetRootCaCertificate', async () =>
      GetRootCaCertificateResponse.fromPartial({ certificate: Buffer.from(state.rootCa().certPem) }),
    ),

    issueNodeCertificate: unary(logger, refusals, 'IssueNodeCertificate', async (call) => {
      const role = matchJoinToken(call.request.token, state.joinTokens());
      const plan = planOf(state);
      // The CA names the node: a CSR cannot pick an existing (or denied) node's identity.
      const nodeId = newNodeId();
      const certPem = await signerOf(state, plan).sign({
        csrPem: Buffer.from(call.request.csr).toString('utf8'),
        nodeId,
        role,
        clusterId: state.clusterId,
        expiryMs: state.nodeCertExpiryMs(),
        addresses: call.request.addresses,
      });
      logger.info({ nodeId, role: roleToOu(role), peer: call.getPeer(), issuerDigest: plan.issuerDigest }, 'node joined: certificate issued');
      await state.onNodeJoined?.({ nodeId, role, addresses: [...call.request.addresses], issuerDigest: plan.issuerDigest, trustsOldRoot: plan.trustsOldRoot, ...issuedCertificate(certPem) });
      return IssueNodeCertificateResponse.fromPartial({
        nodeId,
        role,
        certificate: Buffer.from(plan.chain(certPem)),
        rootCaCertificate: Buffer.from(plan.trust),
        routeKeys: routeKeysFor(state, role),
      });
    }),

    renewNodeCertificate: unary(logger, refusals, 'RenewNodeCertificate', async (call) => {
      const caller = requirePeer(call, policy);
      const csrPem = Buffer.from(call.request.csr).toString('utf8');
      const csr = parseCsr(csrPem);
      if (csr.commonName !== caller.nodeId) {
        throw new CaError('invalid-argument', `renewing the certificate of node ${caller.nodeId}: the request is for "${csr.commonName ?? ''}"`);
      }
      const role = state.currentRole?.(caller.nodeId) ?? caller.role;
      const plan = planOf(state);
      const certPem = await signerOf(state, plan).sign({
        csrPem,
        nodeId: caller.nodeId,
        role,
        clusterId: state.clusterId,
        expiryMs: state.nodeCertExpiryMs(),
        addresses: call.request.addresses,
      });
      logger.info({ nodeId: caller.nodeId, role: roleToOu(role), previousRole: roleToOu(caller.role), issuerDigest: plan.issuerDigest }, 'node certificate renewed');
      await state.onNodeRenewed?.({
        nodeId: caller.nodeId,
        role,
        previousRole: caller.role,
        // The certificate the caller is using right now (its routes, if a manager, were opened
        // with its key), not the one last recorded: a renewal whose answer was lost is retried with it.
        renewedWith: callerCertificate(call),
        addresses: [...call.request.addresses],
        issuerDigest: plan.issuerDigest,
        trustsOldRoot: plan.trustsOldRoot,
        ...issuedCertificate(certPem),
      });
      return RenewNodeCertificateResponse.fromPartial({
        nodeId: caller.nodeId,
        role,
        certificate: Buffer.from(plan.chain(certPem)),
        rootCaCertificate: Buffer.from(plan.trust),
        routeKeys: routeKeysFor(state, role),
      });
    }),

    getJoinTokens: unary(logger, refusals, 'GetJoinTokens', async (call) => {
      requireRole(call, policy, NodeRole.NODE_ROLE_MANAGER);
      return GetJoinTokensResponse.fromPartial({ joinTokens: state.joinTokens() });
    }),

    getRouteKeys: unary(logger, refusals, 'GetRouteKeys', async (call) => {
      requireRole(call, policy, NodeRole.NODE_ROLE_MANAGER);
      return GetRouteKeysResponse.fromPartial({ routeKeys: state.routeKeys?.() ?? [] });
    }),
  };
}
