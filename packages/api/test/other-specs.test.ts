import { describe, expect, it } from 'vitest';
import {
  NodeAvailability,
  NodeRole,
  SpecError,
  checkClusterSpec,
  checkNetworkSpec,
  validateClusterSpec,
  validateNetworkSpec,
  validateNodeSpec,
  type ClusterSpec,
  type NetworkSpec,
  type SpecInput,
} from '../src/index.js';

function errorOf(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return err as SpecError;
  }
  throw new Error('expected a SpecError');
}

describe('validateNodeSpec', () => {
  it('defaults to an active worker and allows no name', () => {
    expect(validateNodeSpec({})).toEqual({
      annotations: { name: '', labels: {} },
      desiredRole: NodeRole.NODE_ROLE_WORKER,
      availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE,
    });
  });
  it('keeps role, availability and labels', () => {
    const out = validateNodeSpec({
      annotations: { labels: { storage: 'ssd' } },
      desiredRole: NodeRole.NODE_ROLE_MANAGER,
      availability: NodeAvailability.NODE_AVAILABILITY_DRAIN,
    });
    expect(out.desiredRole).toBe(NodeRole.NODE_ROLE_MANAGER);
    expect(out.availability).toBe(NodeAvailability.NODE_AVAILABILITY_DRAIN);
    expect(out.annotations?.labels).toEqual({ storage: 'ssd' });
  });
  it.each<[string, SpecInput<any>, string, string]>([
    ['bad availability', { availability: 'gone' }, 'availability', 'availability must be one of NODE_AVAILABILITY_ACTIVE, NODE_AVAILABILITY_PAUSE, NODE_AVAILABILITY_DRAIN (got "gone")'],
    ['bad role', { desiredRole: NodeRole.UNRECOGNIZED }, 'desiredRole', 'desiredRole must be one of NODE_ROLE_WORKER, NODE_ROLE_MANAGER (got "UNRECOGNIZED")'],
    ['bad name', { annotations: { name: '_x' } }, 'annotations.name', 'node name "_x" is invalid'],
    ['label key with space', { annotations: { labels: { 'a b': '1' } } }, 'annotations.labels.a b', 'label key "a b" must not contain spaces or "="'],
  ])('rejects %s', (_name, input, field, message) => {
    const err = errorOf(() => validateNodeSpec(input));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });
});

describe('validateNetworkSpec', () => {
  const base = (patch: SpecInput<NetworkSpec> = {}): SpecInput<NetworkSpec> => ({ annotations: { name: 'mynet' }, ...patch });

  it('defaults the driver to overlay', () => {
    expect(validateNetworkSpec(base())).toEqual({
      annotations: { name: 'mynet', labels: {} },
      driver: 'overlay',
      ipam: [],
      attachable: false,
      internal: false,
      ingress: false,
    });
  });

  it.each<[string, SpecInput<NetworkSpec>]>([
    ['ipv4 subnet with gateway and range', { ipam: [{ subnet: '10.0.9.0/24', gateway: '10.0.9.1', range: '10.0.9.128/25' }] }],
    ['two disjoint subnets', { ipam: [{ subnet: '10.0.9.0/24' }, { subnet: '10.0.10.0/24' }] }],
    ['ipv6 subnet', { ipam: [{ subnet: 'fd00:1::/64', gateway: 'fd00:1::1' }] }],
    ['ipv4 and ipv6 together', { ipam: [{ subnet: '10.1.0.0/16' }, { subnet: 'fd00::/48' }] }],
    ['attachable', { attachable: true }],
    ['ingress', { ingress: true, ipam: [{ subnet: '10.255.0.0/16' }] }],
  ])('accepts %s', (_name, patch) => {
    const { problems } = checkNetworkSpec(base(patch));
    expect(problems.map((e) => e.message)).toEqual([]);
  });

  it.each<[string, SpecInput<NetworkSpec>, string, string]>([
    ['missing name', { annotations: {} }, 'annotations.name', 'network name must not be empty'],
    ['bridge driver', { driver: 'bridge' }, 'driver', 'driver must be "overlay" (got "bridge")'],
    ['bad subnet', { ipam: [{ subnet: '10.0.0.0' }] }, 'ipam[0].subnet', 'ipam[0].subnet "10.0.0.0" is not a valid CIDR (like 10.0.9.0/24)'],
    ['prefix too long', { ipam: [{ subnet: '10.0.0.0/33' }] }, 'ipam[0].subnet', 'is not a valid CIDR'],
    ['garbage subnet', { ipam: [{ subnet: '300.1.1.0/24' }] }, 'ipam[0].subnet', 'is not a valid CIDR'],
    ['host bits set', { ipam: [{ subnet: '10.0.9.1/24' }] }, 'ipam[0].subnet', 'ipam[0].subnet "10.0.9.1/24" has host bits set: it should be 10.0.9.0/24'],
    ['ipv6 host bits set', { ipam: [{ subnet: 'fd00::1/64' }] }, 'ipam[0].subnet', 'has host bits set: it should be fd00::/64'],
    ['gateway outside subnet', { ipam: [{ subnet: '10.0.9.0/24', gateway: '10.0.10.1' }] }, 'ipam[0].gateway', 'ipam[0].gateway 10.0.10.1 is not inside subnet 10.0.9.0/24'],
    ['gateway other family', { ipam: [{ subnet: '10.0.9.0/24', gateway: 'fd00::1' }] }, 'ipam[0].gateway', 'is not inside subnet'],
    ['gateway not an ip', { ipam: [{ subnet: '10.0.9.0/24', gateway: 'router' }] }, 'ipam[0].gateway', 'ipam[0].gateway "router" is not a valid IP address'],
    ['gateway without subnet', { ipam: [{ gateway: '10.0.0.1' }] }, 'ipam[0].subnet', 'ipam[0].subnet must be given when a gateway or range is'],
    ['range outside subnet', { ipam: [{ subnet: '10.0.9.0/24', range: '10.0.8.0/23' }] }, 'ipam[0].range', 'ipam[0].range 10.0.8.0/23 is not inside subnet 10.0.9.0/24'],
    ['overlapping subnets', { ipam: [{ subnet: '10.0.0.0/16' }, { subnet: '10.0.9.0/24' }] }, 'ipam[1].subnet', 'ipam[1].subnet 10.0.9.0/24 overlaps ipam[0].subnet 10.0.0.0/16'],
    ['ingress attachable', { ingress: true, attachable: true }, 'attachable', 'an ingress network cannot be attachable'],
    ['ingress internal', { ingress: true, internal: true }, 'internal', 'an ingress network cannot be internal'],
  ])('rejects %s', (_name, patch, field, message) => {
    const err = errorOf(() => validateNetworkSpec(base(patch)));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });
});

describe('validateClusterSpec', () => {
  it('fills docker swarm init defaults', () => {
    expect(validateClusterSpec({})).toEqual({
      annotations: { name: 'default', labels: {} },
      orchestration: { taskHistoryRetentionLimit: 5 },
      raft: { snapshotInterval: 10_000, logEntriesForSlowFollowers: 500, heartbeatTick: 1, electionTick: 10, keepOldSnapshots: 0 },
      dispatcher: { heartbeatPeriodMs: 5000 },
      caConfig: { nodeCertExpiryMs: 90 * 24 * 3_600_000, externalCas: [] },
      gossip: { keyRotationIntervalMs: 12 * 3_600_000 },
      networkPool: { defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24 },
    });
  });

  it('keeps explicit settings', () => {
    const out = validateClusterSpec({
      caConfig: { nodeCertExpiryMs: 3_600_000, externalCas: [{ url: 'https://ca.example:8888' }] },
      dispatcher: { heartbeatPeriodMs: 200 },
      orchestration: { taskHistoryRetentionLimit: 0 },
      networkPool: { defaultAddrPool: ['10.10.0.0/16', '10.20.0.0/16'], subnetSize: 26 },
    });
    expect(out.caConfig).toEqual({ nodeCertExpiryMs: 3_600_000, externalCas: [{ protocol: 'cfssl', url: 'https://ca.example:8888', options: {} }] });
    expect(out.dispatcher?.heartbeatPeriodMs).toBe(200);
    expect(out.orchestration?.taskHistoryRetentionLimit).toBe(0);
    expect(out.networkPool?.subnetSize).toBe(26);
  });

  it.each<[string, SpecInput<ClusterSpec>, string, string]>([
    ['cert expiry under 1h', { caConfig: { nodeCertExpiryMs: 1_800_000 } }, 'caConfig.nodeCertExpiryMs', 'caConfig.nodeCertExpiryMs must be >= 1h0m0s (got 30m0s)'],
    ['heartbeat zero', { dispatcher: { heartbeatPeriodMs: 0 } }, 'dispatcher.heartbeatPeriodMs', 'dispatcher.heartbeatPeriodMs must be > 0 (got 0)'],
    ['heartbeat negative', { dispatcher: { heartbeatPeriodMs: -5 } }, 'dispatcher.heartbeatPeriodMs', 'dispatcher.heartbeatPeriodMs must be > 0 (got -5)'],
    ['negative history', { orchestration: { taskHistoryRetentionLimit: -1 } }, 'orchestration.taskHistoryRetentionLimit', 'orchestration.taskHistoryRetentionLimit must be >= 0 (got -1)'],
    ['election tick not above heartbeat tick', { raft: { heartbeatTick: 3, electionTick: 3 } }, 'raft.electionTick', 'raft.electionTick (3) must be greater than raft.heartbeatTick (3)'],
    ['zero snapshot interval', { raft: { snapshotInterval: 0 } }, 'raft.snapshotInterval', 'raft.snapshotInterval must be >= 1 (got 0)'],
    ['zero key rotation', { gossip: { keyRotationIntervalMs: 0 } }, 'gossip.keyRotationIntervalMs', 'gossip.keyRotationIntervalMs must be > 0 (got 0)'],
    ['external CA protocol', { caConfig: { externalCas: [{ protocol: 'acme', url: 'https://x' }] } }, 'caConfig.externalCas[0].protocol', 'caConfig.externalCas[0].protocol must be "cfssl" (got "acme")'],
    ['external CA url', { caConfig: { externalCas: [{ url: 'ftp://x' }] } }, 'caConfig.externalCas[0].url', 'caConfig.externalCas[0].url must be an http(s) URL (got "ftp://x")'],
    ['bad pool', { networkPool: { defaultAddrPool: ['10.0.0.0'] } }, 'networkPool.defaultAddrPool[0]', 'networkPool.defaultAddrPool[0] "10.0.0.0" is not a valid IPv4 CIDR (like 10.0.0.0/8)'],
    ['empty pool', { networkPool: { defaultAddrPool: [] } }, 'networkPool.defaultAddrPool', 'networkPool.defaultAddrPool must list at least one CIDR'],
    ['overlapping pools', { networkPool: { defaultAddrPool: ['10.0.0.0/8', '10.1.0.0/16'] } }, 'networkPool.defaultAddrPool[1]', 'overlaps networkPool.defaultAddrPool[0] 10.0.0.0/8'],
    ['subnet size above 29', { networkPool: { subnetSize: 30 } }, 'networkPool.subnetSize', 'networkPool.subnetSize must be <= 29 (got 30)'],
    ['subnet size wider than pool', { networkPool: { defaultAddrPool: ['10.10.0.0/16'], subnetSize: 8 } }, 'networkPool.subnetSize', 'networkPool.subnetSize (8) must be >= the prefix of networkPool.defaultAddrPool[0] (10.10.0.0/16)'],
    ['bad name', { annotations: { name: 'my cluster' } }, 'annotations.name', 'cluster name "my cluster" is invalid'],
  ])('rejects %s', (_name, input, field, message) => {
    const err = errorOf(() => validateClusterSpec(input));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('checkClusterSpec lists all problems', () => {
    const { problems } = checkClusterSpec({ dispatcher: { heartbeatPeriodMs: 0 }, caConfig: { nodeCertExpiryMs: 1 } });
    expect(problems.map((e) => e.field)).toEqual(['dispatcher.heartbeatPeriodMs', 'caConfig.nodeCertExpiryMs']);
  });
});
