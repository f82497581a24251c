import { NodeCaService } from '@flotilla/api';
import { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import type { CaError } from '../errors.js';
import { NodeCredentials } from '../local-issue.js';
import { denyListInterceptor } from './deny-interceptor.js';
import { managerOnlyInterceptor } from './manager-only.js';
import type { RefusalCount } from '@flotilla/bus';
import { createNodeCaHandlers, NodeCaState, nodeCaRefusalLog, peerHost, peerPolicyOf } from './node-ca-service.js';
import { OptionalClientCertServerCredentials } from './server-credentials.js';
import { CA_LISTENER_LIMITS, ConnectionGate, grpcServerOptions, type CaListenerLimits } from './listener-limits.js';
import { createServer, type AddressInfo } from 'node:net';

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
  /** Defaults to CA_LISTENER_LIMITS (tests may lower them). */
  limits?: Partial<CaListenerLimits>;
}

export interface RunningNodeCaServer {
  server: Server;
  port: number;
  credentials: OptionalClientCertServerCredentials;
  /** Connections open now and refused by the caps so far. */
  connections(): { open: number; refused: number };
  /** Calls refused since start, by cause (a CaError code: invalid-join-token, node-denied, …). */
  refused(): RefusalCount[];
  stop(): Promise<void>;
}

/**
 * The managers' gRPC listener with the NodeCa service and any `services`
 * given (the control API); the deny-list interceptor covers all of them.
 */
export async function startNodeCaServer(options: NodeCaServerOptions): Promise<RunningNodeCaServer> {
  const logger = (options.logger ?? pino({ name: 'flotilla' })).child({ component: 'ca', nodeId: options.identity.nodeId });
  const limits: CaListenerLimits = { ...CA_LISTENER_LIMITS, ...options.limits };
  const policy = peerPolicyOf(options.state);
  const managerOnlyApis = new Map<string, string>();
  for (const service of options.services ?? []) {
    if (service.managerOnly) for (const method of Object.values(service.definition)) managerOnlyApis.set(method.path, service.managerOnly.apiName);
  }
  const refusals = nodeCaRefusalLog(logger);
  const gateRefused = (err: CaError, peer: string, methodPath: string): void => refusals.refuse(err.code, peerHost(peer), `${methodPath}: ${err.message}`);
  // The deny list first, so a removed node hears that it was removed whatever it calls.
  const server = new Server({
    ...grpcServerOptions(limits),
    interceptors: [denyListInterceptor(policy, gateRefused), managerOnlyInterceptor(policy, (path) => managerOnlyApis.get(path), gateRefused)],
  });
  server.addService(NodeCaService, createNodeCaHandlers(options.state, logger, refusals));
  for (const service of options.services ?? []) server.addService(service.definition, service.implementation);
  const credentials = new OptionalClientCertServerCredentials(
    { certPem: options.identity.certPem, keyPem: options.identity.keyPem, caCertPem: options.identity.caCertPem },
    limits.tlsHandshakeTimeoutMs,
  );
  // Our own TCP listener in front of grpc-js (which has no connection cap): a connection over the
  // total or per-address cap is closed before any TLS byte is read, the rest go to grpc-js.
  const injector = server.createConnectionInjector(credentials);
  const gate = new ConnectionGate(limits);
  const listener = createServer((socket) => {
    const from = socket.remoteAddress ?? '';
    if (!gate.admit(from)) {
      socket.destroy();
      // Counted for info and summed up in the log with the refused calls, never a line each.
      refusals.refuse('too-many-connections', from.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''), `${gate.open} open`);
      return;
    }
    socket.once('close', () => gate.release(from));
    injector.injectConnection(socket);
  });
  const address = `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    listener.once('error', (err) => reject(new Error(`starting the node CA gRPC server on ${address}: ${err.message}`)));
    listener.listen(options.port, options.host, () => resolve((listener.address() as AddressInfo).port));
  });
  listener.on('error', (err) => logger.error({ err }, 'manager port listener failed'));
  logger.info({ address: `${options.host}:${port}`, limits }, 'node CA gRPC server listening');
  return {
    server,
    port,
    credentials,
    connections: () => ({ open: gate.open, refused: gate.refused }),
    refused: () => refusals.counts(),
    stop: () =>
      new Promise<void>((resolve) => {
        listener.close();
        refusals.stop();
        // Let in-flight calls finish, but never hang a shutdown on an idle client's open connection.
        const force = setTimeout(() => {
          server.forceShutdown();
          injector.destroy();
        }, STOP_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          injector.destroy();
          resolve();
        });
      }),
  };
}
