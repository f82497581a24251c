import { JoinTokens, NodeRole } from '@flotilla/api';
import pino from 'pino';
import { NodeCaServerOptions, RunningNodeCaServer, startNodeCaServer } from '../../src/grpc/node-ca-server.js';
import { NodeCaState } from '../../src/grpc/node-ca-service.js';
import { createJoinTokens } from '../../src/join-token.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../../src/local-issue.js';
import { createRootCa, RootCaMaterial } from '../../src/root-ca.js';

export interface CaFixture {
  rootCa: RootCaMaterial;
  tokens: JoinTokens;
  /** Add a node ID to refuse it, as `node rm` does through the store. */
  denied: Set<string>;
  /** Add a node ID to make it no manager now (a demotion, as the store says it), whatever its certificate. */
  demoted: Set<string>;
  state: NodeCaState;
  /** The first manager's credentials: the CA server's own identity. */
  managerIdentity: NodeCredentials;
}

/** A fresh cluster's CA state as a manager holds it, for a CA server under test. */
export function caFixture(clusterId: string): CaFixture {
  const rootCa = createRootCa({ clusterId });
  const tokens = createJoinTokens(rootCa.digest);
  const denied = new Set<string>();
  const demoted = new Set<string>();
  const state: NodeCaState = { clusterId, rootCa: () => rootCa, joinTokens: () => tokens, nodeCertExpiryMs: () => undefined, deniedNodeIds: () => denied };
  state.isManagerNow = (nodeId) => !demoted.has(nodeId);
  const managerIdentity = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER });
  return { rootCa, tokens, denied, demoted, state, managerIdentity };
}

/** The fixture's CA server on an ephemeral 127.0.0.1 port with more `services`; stop it after. */
export function startFixtureServer(fixture: CaFixture, services: NodeCaServerOptions['services']): Promise<RunningNodeCaServer> {
  return startNodeCaServer({ state: fixture.state, identity: fixture.managerIdentity, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), services });
}
