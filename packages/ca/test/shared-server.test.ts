import { IssueNodeCertificateRequest, NodeCaClient, NodeRole } from '@flotilla/api';
import { ServiceDefinition, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr } from '../src/csr.js';
import { CaError } from '../src/errors.js';
import { managerChannelCredentials, MANAGER_CHANNEL_OPTIONS } from '../src/grpc/client-credentials.js';
import { joinCluster } from '../src/grpc/node-ca-client.js';
import { RunningNodeCaServer } from '../src/grpc/node-ca-server.js';
import { peerPolicyOf } from '../src/grpc/node-ca-service.js';
import { requireRole } from '../src/grpc/peer.js';
import { fromServiceError, toStatus } from '../src/grpc/status.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../src/local-issue.js';
import { callRaw, rawMethod } from './helpers/raw-service.js';
import { caFixture, startFixtureServer } from './helpers/ca-fixture.js';

const clusterId = 'cluster-shared';

/**
 * A stand-in for the control API: `whoami` is manager-only through
 * requireRole; `ping` checks nothing itself, so only the server-wide deny-list
 * hook can refuse it.
 */
const whoamiService: ServiceDefinition = {
  whoami: rawMethod('/flotilla.test.Probe/Whoami'),
  ping: rawMethod('/flotilla.test.Probe/Ping'),
};

describe('other services on the CA server reuse its authorization', () => {
  const fixture = caFixture(clusterId);
  const { rootCa, tokens, denied, managerIdentity } = fixture;
  let server: RunningNodeCaServer;
  let addr: string;

  beforeAll(async () => {
    const policy = peerPolicyOf(fixture.state);
    server = await startFixtureServer(fixture, [
      {
        definition: whoamiService,
        implementation: {
          whoami: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
            try {
              callback(null, Buffer.from(requireRole(call, policy, NodeRole.NODE_ROLE_MANAGER).nodeId));
            } catch (err) {
              callback(toStatus(err as CaError));
            }
          },
          ping: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, Buffer.from('pong')),
        },
      },
    ]);
    addr = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function whoami(creds: NodeCredentials, method: 'whoami' | 'ping' = 'whoami'): Promise<string> {
    try {
      const target = { addr, credentials: managerChannelCredentials({ ...creds, clusterId }), options: MANAGER_CHANNEL_OPTIONS };
      return (await callRaw(whoamiService, method, target)).toString();
    } catch (err) {
      throw fromServiceError(err, 'whoami');
    }
  }

  it('a manager passes, a worker is refused, a denied manager is refused by the hook', async () => {
    expect(await whoami(managerIdentity)).toBe(managerIdentity.nodeId);
    const worker = await joinCluster({ addr, token: tokens.worker });
    await expect(whoami(worker)).rejects.toThrow('this call is for flotilla-manager nodes only');
    const manager2 = await joinCluster({ addr, token: tokens.manager });
    expect(await whoami(manager2)).toBe(manager2.nodeId);
    expect(await whoami(worker, 'ping')).toBe('pong');
    expect(await whoami(manager2, 'ping')).toBe('pong');
    denied.add(manager2.nodeId);
    denied.add(worker.nodeId);
    await expect(whoami(manager2)).rejects.toThrow(`node ${manager2.nodeId} has been removed from the cluster`);
    // ping has no check of its own: this refusal can only come from the interceptor.
    await expect(whoami(manager2, 'ping')).rejects.toThrow(`node ${manager2.nodeId} has been removed from the cluster`);
    await expect(whoami(worker, 'ping')).rejects.toThrow(`node ${worker.nodeId} has been removed from the cluster`);
    expect(await whoami(managerIdentity, 'ping')).toBe('pong');
  });

  it('a CSR cannot choose its node ID: the CA assigns a fresh one', async () => {
    const client = new NodeCaClient(addr, managerChannelCredentials({ caCertPem: rootCa.certPem, clusterId }), MANAGER_CHANNEL_OPTIONS);
    try {
      const response = await new Promise<{ nodeId: string }>((resolve, reject) => {
        client.issueNodeCertificate(
          IssueNodeCertificateRequest.fromPartial({ token: tokens.worker, csr: Buffer.from(createCsr(managerIdentity.nodeId).csrPem) }),
          (err, res) => (err ? reject(err) : resolve(res)),
        );
      });
      expect(response.nodeId).not.toBe(managerIdentity.nodeId);
      expect(response.nodeId).toMatch(/^[0-9a-z]{25}$/);
    } finally {
      client.close();
    }
  });

  it("updateIdentity swaps the server's certificate for new connections without a restart", async () => {
    const serialSeen = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca: rootCa.certPem, servername: 'flotilla-manager', ALPNProtocols: ['h2'] }, () => {
          const raw = socket.getPeerCertificate().raw;
          socket.destroy();
          resolve(new X509Certificate(raw).serialNumber);
        });
        socket.once('error', reject);
      });
    expect(await serialSeen()).toBe(new X509Certificate(managerIdentity.certPem).serialNumber);
    const renewed = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER, nodeId: managerIdentity.nodeId });
    server.credentials.updateIdentity({ certPem: renewed.certPem, keyPem: renewed.keyPem, caCertPem: rootCa.certPem });
    expect(await serialSeen()).toBe(new X509Certificate(renewed.certPem).serialNumber);
  });
});
