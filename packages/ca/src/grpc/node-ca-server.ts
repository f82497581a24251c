import { NodeCaService } from '@flotilla/api';
import { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { NodeCredentials } from '../local-issue.js';
import { denyListInterceptor } from './deny-interceptor.js';
import { managerOnlyInterceptor } from './manager-only.js';
import { createNodeCaHandlers, NodeCaState, peerPolicyOf } from './node-ca-service.js';
import { OptionalClientCertServerCredentials } from './server-credentials.js';

const STOP_GRACE_MS = 5_000;

export interface NodeCaServerOptions {
  state: NodeCaState;
  /** This manager's own node credentials: its certificate is the TLS server certificate. */
  identity: NodeCredentials;
  host: string;
  /** 0 for an ephemeral port. */
  port: number;
  logger?: Logger;
  /**
   * More services for the same port and TLS, guarded by the same deny-list hook. A service with
   * `managerOnly` (the control API) answers only callers with a manager certificate of this cluster.
   */
  services?: ReadonlyArray<{ definition: ServiceDefinition; implementation: UntypedServiceImplementation; managerOnly?: { apiName: string } }>;
}

export interface RunningNodeCaServer {
  server: Server;
  port: number;
  credentials: OptionalClientCertServerCredentials;
  stop(): Promise<void>;
}

/**
 * The managers' gRPC listener with the NodeCa service and any `services`
 * given (the control API); the deny-list interceptor covers all of them.
 */
export async function startNodeCaServer(options: NodeCaServerOptions): Promise<RunningNodeCaServer> {
  const logger = (options.logger ?? pino({ name: 'flotilla' })).child({ component: 'ca', nodeId: options.identity.nodeId });
  const policy = peerPolicyOf(options.state);
  const managerOnlyApis = new Map<string, string>();
  for (const service of options.services ?? []) {
    if (service.managerOnly) for (const method of Object.values(service.definition)) managerOnlyApis.set(method.path, service.managerOnly.apiName);
  }
  // The deny list first, so a removed node hears that it was removed whatever it calls.
  const server = new Server({ interceptors: [denyListInterceptor(policy), managerOnlyInterceptor(policy, (path) => managerOnlyApis.get(path))] });
  server.addService(NodeCaService, createNodeCaHandlers(options.state, logger));
  for (const service of options.services ?? []) server.addService(service.definition, service.implementation);
  const credentials = new OptionalClientCertServerCredentials({
    certPem: options.identity.certPem,
    keyPem: options.identity.keyPem,
    caCertPem: options.identity.caCertPem,
  });
  const address = `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, boundPort) => {
      if (err) reject(new Error(`starting the node CA gRPC server on ${address}: ${err.message}`));
      else resolve(boundPort);
    });
  });
  logger.info({ address: `${options.host}:${port}` }, 'node CA gRPC server listening');
  return {
    server,
    port,
    credentials,
    stop: () =>
      new Promise<void>((resolve) => {
        // Let in-flight calls finish, but never hang a shutdown on an idle client's open connection.
        const force = setTimeout(() => server.forceShutdown(), STOP_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
