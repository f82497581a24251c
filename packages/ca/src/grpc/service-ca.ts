// Issue 16: the managers' port also issues service identities. A process that will run one manager
// service (`flotillad service <name> --join MANAGER:2377 --token <service token>`) pins the root CA
// by the token's digest, like a joining node, and trades the service token and a CSR for a service
// certificate. Only the service token is accepted (a worker or manager token is refused, and the
// service token never yields a node certificate), and the CA names the instance.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import {
  IssueServiceCertificateRequest,
  IssueServiceCertificateResponse,
  ServiceCaClient,
  ServiceCaService,
  MANAGER_SERVICES,
  isManagerServiceName,
  type JoinTokens,
  type ManagerServiceName,
  type ServiceCaServer,
} from '@flotilla/api';
import { Metadata, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { createCsr } from '../csr.js';
import { CaError } from '../errors.js';
import { newNodeId } from '../ids.js';
import { checkCaPin, matchServiceToken, parseJoinToken } from '../join-token.js';
import type { RootCaMaterial } from '../root-ca.js';
import { issuancePlan, type RootRotationRecord } from '../rotation/rotation-plan.js';
import { signServiceCertificate, verifyServiceCertificate, type ServiceIdentity } from '../service-identity.js';
import { MANAGER_CHANNEL_OPTIONS, managerChannelCredentials } from './client-credentials.js';
import { DEFAULT_CALL_TIMEOUT_MS, fetchRootCaCertificate } from './node-ca-client.js';
import { fromServiceError, toStatus } from './status.js';

/** What the service CA reads from the cluster state at each call. */
export interface ServiceCaState {
  clusterId: string;
  rootCa(): RootCaMaterial;
  rotation?(): RootRotationRecord | undefined;
  joinTokens(): JoinTokens;
  nodeCertExpiryMs(): number | undefined;
  /** tls://host:port of the managers' NATS client ports, handed to the new process. */
  natsUrls(): string[];
  /** The services that can run as their own process in this cluster (default every manager service); the others are refused. */
  services?: readonly ManagerServiceName[];
}

export function createServiceCaHandlers(state: ServiceCaState, logger: Logger): ServiceCaServer {
  return {
    issueServiceCertificate: (call, callback) => {
      void (async () => {
        const req = call.request;
        matchServiceToken(req.token, state.joinTokens());
        const runnable = state.services ?? MANAGER_SERVICES;
        if (!isManagerServiceName(req.service) || !runnable.includes(req.service)) {
          throw new CaError('invalid-argument', `"${req.service}" is not a manager service that runs as its own process (one of ${runnable.join(', ')})`);
        }
        const plan = issuancePlan(state.rootCa(), state.rotation?.());
        const instanceId = newNodeId();
        // Always the managers' own key: a service identity is issued before any CA signer process may run.
        const leaf = signServiceCertificate({
          rootCa: plan.signWith,
          csrPem: Buffer.from(req.csr).toString('utf8'),
          service: req.service,
          instanceId,
          clusterId: state.clusterId,
          expiryMs: state.nodeCertExpiryMs(),
        });
        logger.info({ instanceId, service: req.service, host: req.host, peer: call.getPeer() }, 'service identity issued');
        return IssueServiceCertificateResponse.fromPartial({
          instanceId,
          certificate: Buffer.from(plan.chain(leaf)),
          rootCaCertificate: Buffer.from(plan.trust),
          clusterId: state.clusterId,
          natsUrls: state.natsUrls(),
        });
      })().then(
        (res) => callback(null, res),
        (err: unknown) => {
          if (err instanceof CaError) {
            logger.info({ peer: call.getPeer(), reason: err.code, err: err.message }, 'service certificate refused');
            return callback(toStatus(err));
          }
          logger.error({ err, peer: call.getPeer() }, 'issuing a service certificate failed');
          callback(toStatus(new CaError('unavailable', 'IssueServiceCertificate failed on the manager; see its logs')));
        },
      );
    },
  };
}

/** The ServiceCa service for the managers' port (NodeCaServerOptions.services); callers need no certificate. */
export function serviceCaPortService(state: ServiceCaState, logger: Logger): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  return { definition: ServiceCaService, implementation: createServiceCaHandlers(state, logger) as unknown as UntypedServiceImplementation };
}

export interface ServiceCredentials {
  identity: ServiceIdentity;
  certPem: string;
  keyPem: string;
  caCertPem: string;
  natsUrls: string[];
}

/**
 * The service process's side: pin the root CA by the token's digest, send a CSR for `service`
 * over TLS verified against it, and check what comes back (our key, the service asked for, this
 * cluster). The private key never leaves this process.
 */
export async function joinAsService(o: { addr: string; token: string; service: ManagerServiceName; host: string; timeoutMs?: number }): Promise<ServiceCredentials> {
  parseJoinToken(o.token);
  const caCertPem = await fetchRootCaCertificate({ addr: o.addr, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
  checkCaPin(o.token, caCertPem);
  const clusterId = new X509Certificate(caCertPem).subject.split('\n').find((l) => l.startsWith('O='))?.slice(2) ?? '';
  const { csrPem, keyPem } = createCsr();
  const doing = `getting a ${o.service} service certificate from ${o.addr}`;
  const client = new ServiceCaClient(o.addr, managerChannelCredentials({ caCertPem, clusterId }), MANAGER_CHANNEL_OPTIONS);
  let res: IssueServiceCertificateResponse;
  try {
    res = await new Promise((resolve, reject) => {
      client.issueServiceCertificate(
        IssueServiceCertificateRequest.fromPartial({ token: o.token, csr: Buffer.from(csrPem), service: o.service, host: o.host }),
        new Metadata(),
        { deadline: new Date(Date.now() + (o.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS)) },
        (err, response) => (err ? reject(fromServiceError(err, doing)) : resolve(response)),
      );
    });
  } finally {
    client.close();
  }
  const certPem = Buffer.from(res.certificate).toString('utf8');
  const trust = Buffer.from(res.rootCaCertificate).toString('utf8') || caCertPem;
  const identity = verifyServiceCertificate(certPem, { caCertPem: trust, clusterId });
  if (identity.service !== o.service || identity.instanceId !== res.instanceId) throw new CaError('certificate-invalid', `${doing}: the certificate does not match the reply`);
  if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) throw new CaError('certificate-invalid', `${doing}: the issued certificate is not for this process's key`);
  return { identity, certPem, keyPem, caCertPem: trust, natsUrls: res.natsUrls };
}
