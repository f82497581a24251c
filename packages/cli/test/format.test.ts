import { describe, expect, it } from 'vitest';
import { InfoResponse, SwarmState, type SwarmInfo } from '@flotilla/api';
import { formatInfo, formatManagerServices, formatSwarm, infoWarnings } from '../src/commands/info.js';
import { formatClientVersion, formatServerVersion } from '../src/commands/version.js';

const swarm = (overrides: Partial<SwarmInfo>): SwarmInfo => ({
  nodeId: '',
  nodeAddr: '',
  localNodeState: SwarmState.SWARM_STATE_INACTIVE,
  isManager: false,
  error: '',
  clusterId: '',
  managers: 0,
  nodes: 0,
  remoteManagers: [],
  natsRefused: [],
  managerPortRefused: [],
  dnsRefused: [],
  ...overrides,
});

const info = (overrides: Partial<InfoResponse>): InfoResponse =>
  InfoResponse.fromPartial({
    daemonVersion: '0.1.0',
    runtimeVersion: 'v20.20.0',
    os: 'linux',
    arch: 'x64',
    nodeName: 'node-1',
    labels: { zone: 'eu', disk: 'ssd' },
    dataDir: '/var/lib/flotilla',
    controlSocket: '/var/run/flotilla.sock',
    swarm: swarm({}),
    docker: { host: 'unix:///var/run/docker.sock', reachable: true, engineVersion: '20.10.24', apiVersion: '1.41', error: '' },
    pid: 42,
    ...overrides,
  });

describe('flotilla info output', () => {
  it('shows the node, its sorted labels, the engine and an inactive swarm', () => {
    expect(formatInfo(info({}), '0.1.0', 'unix:///var/run/flotilla.sock')).toBe(
      [
        'Client:',
        ' Version: 0.1.0',
        ' Host: unix:///var/run/flotilla.sock',
        '',
        'Server:',
        ' Server Version: 0.1.0',
        ' Node Name: node-1',
        ' Labels:',
        '  disk=ssd',
        '  zone=eu',
        ' Data Dir: /var/lib/flotilla',
        ' Control Socket: /var/run/flotilla.sock',
        ' Docker Host: unix:///var/run/docker.sock',
        ' Docker Engine: 20.10.24 (API 1.41)',
        ' Load Balancer: none',
        ' Swarm: inactive',
        ' Node.js Version: v20.20.0',
        ' OS/Arch: linux/x64',
        ' PID: 42',
        '',
      ].join('\n'),
    );
  });

  it('says the engine is unreachable and warns with the reason', () => {
    const down = info({
      docker: { host: 'unix:///nope.sock', reachable: false, engineVersion: '', apiVersion: '', error: 'cannot reach Docker Engine at unix:///nope.sock: connect ENOENT /nope.sock' },
    });
    expect(formatInfo(down, '0.1.0', 'unix:///s')).toContain(' Docker Engine: unreachable\n');
    expect(infoWarnings(down)).toEqual(['cannot reach Docker Engine at unix:///nope.sock: connect ENOENT /nope.sock']);
    expect(infoWarnings(info({}))).toEqual([]);
  });

  it('shows the advertise address only when one was given', () => {
    expect(formatInfo(info({ advertiseAddr: '10.0.0.1:2377' }), '0.1.0', 'unix:///s')).toContain(' Advertise Address: 10.0.0.1:2377\n');
    expect(formatInfo(info({}), '0.1.0', 'unix:///s')).not.toContain('Advertise Address');
  });

  it('shapes an active manager the way docker info does', () => {
    const active = swarm({
      nodeId: 'abc123',
      nodeAddr: '10.0.0.1',
      localNodeState: SwarmState.SWARM_STATE_ACTIVE,
      isManager: true,
      clusterId: 'cl9',
      managers: 3,
      nodes: 5,
      remoteManagers: [
        { nodeId: 'abc123', addr: '10.0.0.1:2377' },
        { nodeId: 'def456', addr: '10.0.0.2:2377' },
      ],
    });
    expect(formatSwarm(active)).toBe(
      [
        ' Swarm: active',
        '  NodeID: abc123',
        '  Is Manager: true',
        '  ClusterID: cl9',
        '  Managers: 3',
        '  Nodes: 5',
        '  Node Address: 10.0.0.1',
        '  Manager Addresses:',
        '   10.0.0.1:2377',
        '   10.0.0.2:2377',
        '  Refused:',
        '   NATS: none',
        '   Manager Port: none',
        '   DNS: none',
        '',
      ].join('\n'),
    );
    const attacked = swarm({ ...active, natsRefused: [{ cause: 'auth', count: 3 }, { cause: 'tls-handshake', count: 1234 }], managerPortRefused: [{ cause: 'invalid-join-token', count: 2 }], dnsRefused: [{ cause: 'not-on-network', count: 7 }] });
    expect(formatSwarm(attacked)).toContain(['  Refused:', '   NATS: 3 auth, 1234 tls-handshake', '   Manager Port: 2 invalid-join-token', '   DNS: 7 not-on-network', ''].join('\n'));
  });

  it('leaves manager-only counts out for an active worker and shows the error of a failed join', () => {
    const worker = formatSwarm(swarm({ nodeId: 'w1', localNodeState: SwarmState.SWARM_STATE_ACTIVE, clusterId: 'cl9', nodeAddr: '10.0.0.9' }));
    expect(worker).toContain('  ClusterID: cl9\n');
    expect(worker).not.toContain('Managers:');
    // Every node runs an embedded DNS; only managers have a nats-server and port 2377.
    expect(worker).toContain('  Refused:\n   DNS: none\n');
    expect(worker).not.toContain('NATS:');
    const failed = formatSwarm(swarm({ localNodeState: SwarmState.SWARM_STATE_ERROR, error: 'join token rejected' }));
    expect(failed).toContain(' Swarm: error\n');
    expect(failed).toContain('  Error: join token rejected\n');
    expect(formatSwarm(swarm({ localNodeState: SwarmState.SWARM_STATE_PENDING, nodeId: 'p1' }))).toContain(' Swarm: pending\n  NodeID: p1\n');
  });

  it('shows the gossip members, refusals by cause and network DB groups once the gossip member runs', () => {
    const base = { nodeId: 'w1', localNodeState: SwarmState.SWARM_STATE_ACTIVE, clusterId: 'cl9', nodeAddr: '10.0.0.9' };
    expect(formatSwarm(swarm(base))).not.toContain('Gossip');
    const gossip = {
      membersAlive: 3,
      membersSuspect: 1,
      membersDead: 0,
      membersLeft: 1,
      refused: [{ cause: 'bad-key', count: 2 }, { cause: 'frame-oversize', count: 64 }],
      networks: [
        { networkId: 'n1', networkName: 'ingress', peers: 4, endpoints: 1, vteps: 4, tombstones: 0 },
        { networkId: 'n2', networkName: '', peers: 1, endpoints: 0, vteps: 1, tombstones: 2 },
      ],
    };
    expect(formatSwarm(swarm({ ...base, gossip }))).toContain(
      [
        '  Node Address: 10.0.0.9',
        '  Refused:',
        '   DNS: none',
        '  Gossip:',
        '   Members: 3 alive, 1 suspect, 0 dead, 1 left',
        '   Refused: 2 bad-key, 64 frame-oversize',
        '   Network DB: 2 groups',
        '    ingress: 4 peers, 1 endpoint, 4 VTEPs, 0 tombstones',
        '    n2: 1 peer, 0 endpoints, 1 VTEP, 2 tombstones',
        '',
      ].join('\n'),
    );
  });
});

describe('flotilla info: manager services (issue 16)', () => {
  it('shows who holds each lease, in a manager or as a process, and every instance that answered', () => {
    const text = formatManagerServices({
      leases: [
        { id: 'allocator', holder: 'm1', epoch: 2, durationMs: 0, transitions: 1, acquiredAtMs: 0, holderInfo: { host: 'h1', pid: 10, managerNodeId: 'm1' } },
        { id: 'orchestrator', holder: '', epoch: 3, durationMs: 0, transitions: 1, acquiredAtMs: 0 },
        { id: 'scheduler', holder: 'i2', epoch: 5, durationMs: 3000, transitions: 4, acquiredAtMs: 0, holderInfo: { host: 'h2', pid: 22, managerNodeId: '' } },
      ],
      instances: [
        { service: 'scheduler', instanceId: 'i1', host: 'h2', pid: 21, managerNodeId: '', active: false, leaseEpoch: 0, storeIndex: 9, startedAtMs: 0 },
        { service: 'scheduler', instanceId: 'i2', host: 'h2', pid: 22, managerNodeId: '', active: true, leaseEpoch: 5, storeIndex: 9, startedAtMs: 0 },
      ],
    });
    expect(text).toBe(
      [
        '  Manager Services:',
        '   allocator: held by m1 (in the flotillad of manager m1, pid 10), epoch 2, 1 takeover',
        '   orchestrator: released (epoch 3)',
        '   scheduler: held by i2 (process pid 22 on h2), epoch 5, 4 takeovers',
        '   Instances:',
        '    scheduler i1 (process pid 21 on h2): standby',
        '    scheduler i2 (process pid 22 on h2): active (epoch 5)',
        '',
      ].join('\n'),
    );
    expect(formatManagerServices({ leases: [], instances: [] })).toBe('  Manager Services:\n   no leases taken yet\n   Instances:\n    none answered\n');
  });
});

describe('flotilla version output', () => {
  it('aligns client and server fields like docker version', () => {
    expect(
      formatClientVersion({ version: '0.1.0', runtimeVersion: 'v20.20.0', os: 'linux', arch: 'x64' }, 'unix:///s.sock'),
    ).toBe(
      'Client: Flotilla\n' +
        ' Version:         0.1.0\n' +
        ' Node.js version: v20.20.0\n' +
        ' OS/Arch:         linux/x64\n' +
        ' Host:            unix:///s.sock\n',
    );
    expect(formatServerVersion({ version: '0.2.0', runtimeVersion: 'v20.20.1', os: 'linux', arch: 'arm64', engineVersion: '' })).toBe(
      'Server: Flotilla daemon\n' +
        ' Version:         0.2.0\n' +
        ' Node.js version: v20.20.1\n' +
        ' OS/Arch:         linux/arm64\n' +
        ' Docker Engine:   unreachable\n',
    );
  });
});
