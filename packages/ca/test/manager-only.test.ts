import { NodeRole } from '@flotilla/api';
import { ChannelCredentials, ServiceDefinition, ServerUnaryCall, sendUnaryData, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr } from '../src/csr.js';
import { managerChannelCredentials, MANAGER_CHANNEL_OPTIONS } from '../src/grpc/client-credentials.js';
import { decideManagerOnlyCall } from '../src/grpc/manager-only.js';
import { getJoinTokens, getRouteKeys, joinCluster } from '../src/grpc/node-ca-client.js';
import { RunningNodeCaServer } from '../src/grpc/node-ca-server.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../src/local-issue.js';
import { signNodeCertificate } from '../src/node-cert.js';
import { createRootCa } from '../src/root-ca.js';
import { NodeIdentity } from '../src/verify.js';
import { callRaw, rawMethod } from './helpers/raw-service.js';
import { caFixture, startFixtureServer } from './helpers/ca-fixture.js';

const clusterId = 'cluster-manager-only';

describe('decideManagerOnlyCall', () => {
  const identity = (role: NodeIdentity['role'], cluster = clusterId): NodeIdentity => ({
    nodeId: 'n1',
    role,
    clusterId: cluster,
    notBefore: new Date(0),
    notAfter: new Date(8.64e15),
  });
  const decide = (peer: NodeIdentity | undefined) =>
    decideManagerOnlyCall({ methodPath: '/flotilla.Control/CreateService', apiName: 'the control API', clusterId, peer });

  it('lets a manager certificate of this cluster through', () => {
    expect(decide(identity(NodeRole.NODE_ROLE_MANAGER))).toEqual({ allowed: true });
  });

  it('without a verified certificate: unauthenticated, saying a client certificate is required', () => {
    const decision = decide(undefined);
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.error.code).toBe('certificate-invalid');
    expect(decision.error.message).toMatch(/^a client certificate is required for the control API/);
  });

  it('a worker certificate: permission denied naming the method and the role', () => {
    const decision = decide(identity(NodeRole.NODE_ROLE_WORKER));
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.error.code).toBe('permission-denied');
    expect(decision.error.message).toBe(
      'flotilla.Control/CreateService is for flotilla-manager certificates only; node n1 presented a flotilla-worker certificate',
    );
  });

  it('a manager certificate of a node the cluster no longer holds as a manager (demoted): permission denied', () => {
    const decision = decideManagerOnlyCall({
      methodPath: '/flotilla.Control/CreateService',
      apiName: 'the control API',
      clusterId,
      peer: identity(NodeRole.NODE_ROLE_MANAGER),
      isManagerNow: (id) => id !== 'n1',
    });
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.error.code).toBe('permission-denied');
    expect(decision.error.message).toBe('node n1 presented a manager certificate but is no manager of this cluster now (demoted): the control API is for current managers only');
  });

  it("another cluster's manager certificate is refused", () => {
    const decision = decide(identity(NodeRole.NODE_ROLE_MANAGER, 'other-cluster'));
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.error.code).toBe('certificate-invalid');
    expect(decision.error.message).toContain('cluster other-cluster');
  });
});

/** A stand-in for the control API with no checks of its own: only the interceptors can refuse. */
const probeService: ServiceDefinition = { echo: rawMethod('/flotilla.test.Admin/Echo') };

describe('a manager-only service on the CA server (real gRPC over TLS)', () => {
  const fixture = caFixture(clusterId);
  const { rootCa, tokens, denied, demoted, managerIdentity } = fixture;
  let server: RunningNodeCaServer;
  let addr: string;

  beforeAll(async () => {
    server = await startFixtureServer(fixture, [
      {
        definition: probeService,
        implementation: { echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, call.request) },
        managerOnly: { apiName: 'the test admin API' },
      },
    ]);
    addr = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const echo = async (credentials: ChannelCredentials): Promise<string> =>
    (await callRaw(probeService, 'echo', { addr, credentials, options: MANAGER_CHANNEL_OPTIONS }, Buffer.from('hello'))).toString();
  const withCert = (creds: Pick<NodeCredentials, 'certPem' | 'keyPem'>) =>
    managerChannelCredentials({ caCertPem: rootCa.certPem, clusterId, certPem: creds.certPem, keyPem: creds.keyPem });

  it('answers a manager certificate', async () => {
    expect(await echo(withCert(managerIdentity))).toBe('hello');
  });

  it('refuses a caller without a certificate: UNAUTHENTICATED, while a join (NodeCa) still works without one', async () => {
    await expect(echo(managerChannelCredentials({ caCertPem: rootCa.certPem, clusterId }))).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringMatching(/^a client certificate is required for the test admin API/),
    });
    const worker = await joinCluster({ addr, token: tokens.worker });
    expect(worker.role).toBe(NodeRole.NODE_ROLE_WORKER);
  });

  it('refuses a worker certificate: PERMISSION_DENIED naming the method and the role', async () => {
    const worker = await joinCluster({ addr, token: tokens.worker });
    await expect(echo(withCert(worker))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      details: `flotilla.test.Admin/Echo is for flotilla-manager certificates only; node ${worker.nodeId} presented a flotilla-worker certificate`,
    });
  });

  it('refuses an expired manager certificate and one from another CA', async () => {
    const { csrPem, keyPem } = createCsr(managerIdentity.nodeId);
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    const expired = signNodeCertificate({ rootCa, csrPem, nodeId: managerIdentity.nodeId, role: NodeRole.NODE_ROLE_MANAGER, clusterId, expiryMs: 3600_000, now: twoDaysAgo });
    await expect(echo(withCert({ certPem: expired, keyPem }))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    const otherCa = createRootCa({ clusterId });
    const foreign = issueLocalNodeCredentials({ rootCa: otherCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER });
    await expect(echo(withCert(foreign))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("refuses a demoted manager's still-valid manager certificate, on the control API and on the CA's manager-only calls", async () => {
    const manager3 = await joinCluster({ addr, token: tokens.manager });
    expect(await echo(withCert(manager3))).toBe('hello');
    expect((await getJoinTokens({ addr, credentials: manager3 })).manager).toBe(tokens.manager);
    await getRouteKeys({ addr, credentials: manager3 });
    demoted.add(manager3.nodeId);
    const why = `node ${manager3.nodeId} presented a manager certificate but is no manager of this cluster now (demoted)`;
    await expect(echo(withCert(manager3))).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringContaining(why) });
    const refused = { code: 'permission-denied', message: expect.stringContaining(why) };
    await expect(getJoinTokens({ addr, credentials: manager3 })).rejects.toMatchObject(refused);
    await expect(getRouteKeys({ addr, credentials: manager3 })).rejects.toMatchObject(refused);
    // The server's own manager identity is untouched.
    expect(await echo(withCert(managerIdentity))).toBe('hello');
  });

  it('refuses a removed manager with PERMISSION_DENIED saying it was removed', async () => {
    const manager2 = await joinCluster({ addr, token: tokens.manager });
    expect(await echo(withCert(manager2))).toBe('hello');
    denied.add(manager2.nodeId);
    await expect(echo(withCert(manager2))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      details: `node ${manager2.nodeId} has been removed from the cluster: its certificate is refused`,
    });
  });
});
