// node, task, network, secret, config and plugin inspect JSON against Docker's types
// (moby api/types/swarm, api/types/network, api/types/plugin): names, order, omitempty.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { NodeAvailability, NodeRole, NodeState, ReachabilityState, TaskState, validateServiceSpec, type Network, type NodeView, type Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { dockerConfig, dockerNetworkInspect, dockerNode, dockerPlugin, dockerSecret, dockerTask, tlsInfoFromRootPem } from '../src/index.js';

const same = (actual: unknown, expected: unknown) => expect(JSON.stringify(actual, null, 1)).toBe(JSON.stringify(expected, null, 1));
const T0 = Date.UTC(2026, 10, 25, 22, 0, 0, 500);
const meta = { version: 9, createdAt: T0, updatedAt: T0 };

const network: Network = {
  id: 'net1',
  meta,
  spec: { annotations: { name: 'mynet', labels: { b: '2', a: '1' } }, driver: 'overlay', ipam: [], attachable: true, internal: false, ingress: false },
  status: { ipam: [{ subnet: '10.0.9.0/24', gateway: '10.0.9.1', range: '' }], vxlanId: 4097 },
};

describe('dockerNode', () => {
  const view: NodeView = {
    node: {
      id: 'n1',
      meta,
      spec: { annotations: { name: '', labels: { zone: 'a' } }, desiredRole: NodeRole.NODE_ROLE_MANAGER, availability: NodeAvailability.NODE_AVAILABILITY_DRAIN },
      description: { hostname: 'm1', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 2e9, memoryBytes: 4 * 2 ** 30, pids: 0 }, engine: { engineVersion: '20.10.24', labels: { ssd: 'true' }, plugins: [] } },
      status: { state: NodeState.NODE_STATE_READY, message: '', addr: '127.0.7.11' },
      managerStatus: { raftId: 1, addr: '127.0.7.11:2377', leader: true, reachability: ReachabilityState.REACHABILITY_REACHABLE },
      role: NodeRole.NODE_ROLE_MANAGER,
      certIssuer: undefined,
      tlsInfo: undefined,
    },
    self: true,
    leader: true,
    reachable: true,
  };

  it('maps a manager', () => {
    same(dockerNode(view), {
      ID: 'n1',
      Version: { Index: 9 },
      CreatedAt: '2026-11-25T22:00:00.5Z',
      UpdatedAt: '2026-11-25T22:00:00.5Z',
      Spec: { Labels: { zone: 'a' }, Role: 'manager', Availability: 'drain' },
      Description: {
        Hostname: 'm1',
        Platform: { Architecture: 'x86_64', OS: 'linux' },
        Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * 2 ** 30 },
        Engine: { EngineVersion: '20.10.24', Labels: { ssd: 'true' } },
        TLSInfo: {},
      },
      Status: { State: 'ready', Addr: '127.0.7.11' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.7.11:2377' },
    });
  });

  it('a worker has no ManagerStatus; an unreachable manager says so', () => {
    const worker = structuredClone(view);
    worker.node!.role = NodeRole.NODE_ROLE_WORKER;
    expect(dockerNode(worker).ManagerStatus).toBeUndefined();
    const far = structuredClone(view);
    far.leader = false;
    far.reachable = false;
    far.node!.managerStatus!.reachability = ReachabilityState.REACHABILITY_UNREACHABLE;
    expect(dockerNode(far).ManagerStatus).toEqual({ Reachability: 'unreachable', Addr: '127.0.7.11:2377' });
  });

  it('TLSInfo from the root CA: the PEM, the subject and public key in DER', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsinfo-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-subj', '/O=cluster1/CN=swarm-ca', '-days', '1'], { stdio: 'ignore' });
      const pem = readFileSync(join(dir, 'c'), 'utf8');
      const tls = tlsInfoFromRootPem(pem);
      expect(tls.TrustRoot).toBe(pem);
      const der = Buffer.from(tls.CertIssuerSubject!);
      // The DER Name re-encoded by openssl from the same subject must be byte-identical.
      const expected = execFileSync('openssl', ['x509', '-in', join(dir, 'c'), '-noout', '-subject', '-nameopt', 'RFC2253']).toString();
      expect(expected).toContain('CN=swarm-ca,O=cluster1');
      expect(der[0]).toBe(0x30);
      expect(der.includes(Buffer.from('swarm-ca'))).toBe(true);
      expect(der.includes(Buffer.from('cluster1'))).toBe(true);
      // Self-signed: the issuer Name and the subject Name are the same bytes, so a whole Name occurs twice.
      const raw = Buffer.from(new X509Certificate(pem).raw);
      expect(raw.indexOf(der)).toBeGreaterThan(0);
      expect(raw.indexOf(der, raw.indexOf(der) + 1)).toBeGreaterThan(raw.indexOf(der));
      expect(Buffer.from(tls.CertIssuerPublicKey!).equals(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
      const json = JSON.parse(JSON.stringify(dockerNode(view, tls), (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
      expect(Object.keys(json.Description.TLSInfo)).toEqual(['TrustRoot', 'CertIssuerSubject', 'CertIssuerPublicKey']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dockerTask', () => {
  it('maps a task with its attachment networks resolved', () => {
    const spec = validateServiceSpec({ annotations: { name: 'web' }, task: { container: { image: 'busybox' } } });
    const task: Task = {
      id: 't1',
      meta,
      spec: spec.task,
      serviceId: 'svc1',
      slot: 2,
      nodeId: 'n1',
      annotations: undefined,
      serviceName: 'web',
      status: { timestamp: T0, state: TaskState.TASK_STATE_RUNNING, message: 'started', err: '', container: { containerId: 'c1', pid: 42, exitCode: 0 }, pendingReason: '' },
      desiredState: TaskState.TASK_STATE_RUNNING,
      networks: [{ networkId: 'net1', addresses: ['10.0.9.3/24'], aliases: [] }],
      endpoint: undefined,
      specVersion: 1,
      jobIteration: 0,
    };
    const out = dockerTask(task, new Map([['net1', network]]));
    expect(Object.keys(out)).toEqual(['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Labels', 'Spec', 'ServiceID', 'Slot', 'NodeID', 'Status', 'DesiredState', 'NetworksAttachments', 'Volumes']);
    same(out.Status, { Timestamp: '2026-11-25T22:00:00.5Z', State: 'running', Message: 'started', ContainerStatus: { ContainerID: 'c1', PID: 42, ExitCode: 0 }, PortStatus: {} });
    expect(out.DesiredState).toBe('running');
    const attachment = (out.NetworksAttachments as Array<{ Network: { ID: string; Spec: { Name: string } }; Addresses: string[] }>)[0]!;
    expect(attachment.Network.ID).toBe('net1');
    expect(attachment.Network.Spec.Name).toBe('mynet');
    expect(attachment.Addresses).toEqual(['10.0.9.3/24']);
    expect(out.Volumes).toBeNull();
  });

  it('a pending task carries the scheduler’s reason as Err, as docker’s scheduler writes it', () => {
    const task = { id: 't2', meta, serviceId: 's', slot: 1, nodeId: '', serviceName: 's', desiredState: TaskState.TASK_STATE_RUNNING, networks: [], specVersion: 0, status: { timestamp: T0, state: TaskState.TASK_STATE_PENDING, message: 'pending task scheduling', err: '', container: undefined, pendingReason: 'no suitable node (insufficient resources on 1 node)' } } as unknown as Task;
    expect((dockerTask(task).Status as { Err: string }).Err).toBe('no suitable node (insufficient resources on 1 node)');
  });
});

describe('network inspect', () => {
  const view = { network, services: [{ id: 'svc1', name: 'web', virtualIp: '10.0.9.2/24' }], tasks: [{ taskId: 't1', name: 'web.1', nodeId: 'n1', address: '10.0.9.3/24' }] };

  it('maps to network.Inspect', () => {
    same(dockerNetworkInspect(view), {
      Name: 'mynet',
      Id: 'net1',
      Created: '2026-11-25T22:00:00.5Z',
      Scope: 'swarm',
      Driver: 'overlay',
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.9.0/24', Gateway: '10.0.9.1' }] },
      Internal: false,
      Attachable: true,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097' },
      Labels: { a: '1', b: '2' },
    });
  });

  it('--verbose adds Services with the VIP and tasks', () => {
    expect(dockerNetworkInspect(view, { verbose: true }).Services).toEqual({
      web: { VIP: '10.0.9.2', Ports: [], LocalLBIndex: 0, Tasks: [{ Name: 'web.1.t1', EndpointID: '', EndpointIP: '10.0.9.3', Info: { 'Host IP': '' } }] },
    });
  });
});

describe('secret, config, plugin', () => {
  it('a secret never has Data', () => {
    same(dockerSecret({ id: 's1', meta, spec: { annotations: { name: 'pw', labels: {} }, data: Buffer.alloc(0) }, sealed: undefined, size: 3 }), {
      ID: 's1',
      Version: { Index: 9 },
      CreatedAt: '2026-11-25T22:00:00.5Z',
      UpdatedAt: '2026-11-25T22:00:00.5Z',
      Spec: { Name: 'pw', Labels: {} },
    });
  });

  it('a config has its Data as bytes (base64 in JSON)', () => {
    const out = dockerConfig({ id: 'c1', meta, spec: { annotations: { name: 'conf', labels: { k: 'v' } }, data: Buffer.from('hello') } });
    expect(Buffer.from((out.Spec as { Data: Uint8Array }).Data).toString()).toBe('hello');
    expect(Object.keys(out.Spec as object)).toEqual(['Name', 'Labels', 'Data']);
  });

  it('a plugin: Config, Enabled, Id, Name, PluginReference, Settings, then what Flotilla adds', () => {
    const out = dockerPlugin(
      {
        id: 'p1',
        meta,
        spec: { name: 'vol:latest', configJson: '{"description":"d","interface":{"types":["docker.volumedriver/1.0"]}}', granted: [{ name: 'mount', description: 'm', value: ['/srv'] }], settings: ['DEBUG=1'], enabled: true, image: 'vol-image', source: 'vol-image' },
        rootfs: Buffer.alloc(0),
        rootfsDigest: '',
        rootfsSize: 0,
      },
      { env: [{ name: 'DEBUG', value: '1' }], args: { value: [] }, mounts: [], linux: { devices: [] } },
    );
    expect(Object.keys(out)).toEqual(['Config', 'Enabled', 'Id', 'Name', 'PluginReference', 'Settings', 'Privileges', 'Source', 'Image', 'RootfsDigest', 'RootfsSize', 'CreatedAt', 'UpdatedAt']);
    expect(out.Settings).toEqual({ Args: [], Devices: [], Env: ['DEBUG=1'], Mounts: [], Set: ['DEBUG=1'] });
    expect(out.Config).toEqual({ description: 'd', interface: { types: ['docker.volumedriver/1.0'] } });
  });
});
