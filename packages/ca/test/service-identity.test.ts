// Issue 16: service identities. The managers' port trades the service token for a service
// certificate (and nothing else for it); a service certificate is no node's, so it opens neither
// node renewal nor a manager-only API; a worker cannot get or turn into one.
import { X509Certificate } from 'node:crypto';
import { JoinTokens, NodeRole } from '@flotilla/api';
import { clusterSubjects } from '@flotilla/bus';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_JOIN_TOKEN, CaError } from '../src/errors.js';
import { RunningNodeCaServer, startNodeCaServer } from '../src/grpc/node-ca-server.js';
import { joinCluster, renewNodeCertificate } from '../src/grpc/node-ca-client.js';
import { joinAsService, serviceCaPortService } from '../src/grpc/service-ca.js';
import { createJoinTokens, matchJoinToken, matchServiceToken, rotateJoinTokens } from '../src/join-token.js';
import { issueLocalNodeCredentials } from '../src/local-issue.js';
import { createRootCa } from '../src/root-ca.js';
import { serviceFromOu, serviceNatsUsers, verifyServiceCertificate } from '../src/service-identity.js';
import { verifyNodeCertificate } from '../src/verify.js';

const clusterId = 'cluster-svc-test';
const silent = pino({ level: 'silent' });

async function refusal(p: Promise<unknown>): Promise<CaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CaError);
  return err as CaError;
}

describe('service tokens', () => {
  const rootCa = createRootCa({ clusterId });
  it('are made with the others, rotate on their own, and match only as a service token', () => {
    const tokens = createJoinTokens(rootCa.digest);
    expect(new Set([tokens.worker, tokens.manager, tokens.service]).size).toBe(3);
    expect(() => matchServiceToken(tokens.service, tokens)).not.toThrow();
    expect(() => matchServiceToken(tokens.worker, tokens)).toThrow(INVALID_JOIN_TOKEN);
    expect(() => matchJoinToken(tokens.service, tokens)).toThrow(INVALID_JOIN_TOKEN);
    const rotated = rotateJoinTokens(tokens, 'service', rootCa.digest);
    expect(rotated.worker).toBe(tokens.worker);
    expect(rotated.service).not.toBe(tokens.service);
    expect(() => matchServiceToken(tokens.service, rotated)).toThrow(INVALID_JOIN_TOKEN);
    expect(rotateJoinTokens(tokens, 'both', rootCa.digest).service).not.toBe(tokens.service);
    // A cluster made before service tokens existed has none: nothing matches it.
    expect(() => matchServiceToken(tokens.service, { ...tokens, service: '' })).toThrow(INVALID_JOIN_TOKEN);
  });
});

describe('ServiceCa on the managers\' port', () => {
  const rootCa = createRootCa({ clusterId });
  let tokens: JoinTokens = createJoinTokens(rootCa.digest);
  const managerIdentity = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });
  const state = { clusterId, rootCa: () => rootCa, joinTokens: () => tokens, nodeCertExpiryMs: () => undefined, deniedNodeIds: () => [] };
  let running: RunningNodeCaServer;
  let addr: string;

  beforeAll(async () => {
    running = await startNodeCaServer({
      state,
      identity: managerIdentity,
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      services: [serviceCaPortService({ ...state, natsUrls: () => ['tls://127.0.0.1:4222'], services: ['scheduler', 'orchestrator', 'allocator'] }, silent)],
    });
    addr = `127.0.0.1:${running.port}`;
  });
  afterAll(async () => {
    await running?.stop();
  });

  it('issues a scheduler identity for the service token: CN the instance, OU the service, O the cluster, the NATS user as first SAN', async () => {
    const creds = await joinAsService({ addr, token: tokens.service, service: 'scheduler', host: 'box1' });
    const cert = new X509Certificate(creds.certPem);
    expect(cert.subject).toBe(`CN=${creds.identity.instanceId}\nOU=flotilla-service-scheduler\nO=${clusterId}`);
    expect(cert.subjectAltName).toBe(`DNS:flotilla-service-scheduler, DNS:${creds.identity.instanceId}`);
    expect(creds.natsUrls).toEqual(['tls://127.0.0.1:4222']);
    expect(verifyServiceCertificate(creds.certPem, { caCertPem: rootCa.certPem, clusterId })).toMatchObject({ service: 'scheduler', clusterId });
    // It is no node's certificate.
    expect(() => verifyNodeCertificate(creds.certPem, { caCertPem: rootCa.certPem, clusterId })).toThrow('lacks CN, a flotilla OU or O');
  });

  it('refuses worker and manager tokens, an unknown service or one not run apart, and a rotated service token', async () => {
    expect((await refusal(joinAsService({ addr, token: tokens.worker, service: 'scheduler', host: 'h' }))).message).toBe(INVALID_JOIN_TOKEN);
    expect((await refusal(joinAsService({ addr, token: tokens.manager, service: 'dispatcher', host: 'h' }))).message).toBe(INVALID_JOIN_TOKEN);
    const bad = await refusal(joinAsService({ addr, token: tokens.service, service: 'raft' as never, host: 'h' }));
    expect(bad.message).toBe('"raft" is not a manager service that runs as its own process (one of scheduler, orchestrator, allocator)');
    // A manager service the cluster does not run apart gets no identity, even for the service token.
    const notApart = await refusal(joinAsService({ addr, token: tokens.service, service: 'dispatcher', host: 'h' }));
    expect(notApart.message).toBe('"dispatcher" is not a manager service that runs as its own process (one of scheduler, orchestrator, allocator)');
    const old = tokens.service;
    tokens = rotateJoinTokens(tokens, 'service', rootCa.digest);
    expect((await refusal(joinAsService({ addr, token: old, service: 'scheduler', host: 'h' }))).message).toBe(INVALID_JOIN_TOKEN);
    expect((await joinAsService({ addr, token: tokens.service, service: 'allocator', host: 'h' })).identity.service).toBe('allocator');
  });

  it('the service token never yields a node certificate, and a service certificate cannot renew into a node one', async () => {
    expect((await refusal(joinCluster({ addr, token: tokens.service }))).message).toBe(INVALID_JOIN_TOKEN);
    const svc = await joinAsService({ addr, token: tokens.service, service: 'scheduler', host: 'h' });
    const asNode = { nodeId: svc.identity.instanceId, role: NodeRole.NODE_ROLE_WORKER as const, certPem: svc.certPem, keyPem: svc.keyPem, caCertPem: svc.caCertPem };
    await expect(renewNodeCertificate({ addr, current: asNode })).rejects.toThrow();
  });

  it('a worker cannot become a service: its renewal stays a worker certificate', async () => {
    const worker = await joinCluster({ addr, token: tokens.worker });
    const renewed = await renewNodeCertificate({ addr, current: worker });
    expect(new X509Certificate(renewed.certPem).subject).toContain('OU=flotilla-worker');
    expect(serviceFromOu('flotilla-worker')).toBeUndefined();
  });
});

describe('serviceNatsUsers', () => {
  it('names one user per service after the SAN its certificates carry first, with its subject rules', () => {
    const users = serviceNatsUsers(clusterSubjects('c1'));
    expect(users.map((u) => u.user)).toEqual(['flotilla-service-scheduler', 'flotilla-service-orchestrator', 'flotilla-service-allocator', 'flotilla-service-dispatcher', 'flotilla-service-ca']);
    expect(users[0]!.permissions?.publish?.allow).toEqual(['flt.c1.store.svc.scheduler.>']);
  });
});
