// Two agents, each driving its own test host (network namespace + its own Docker Engine), a
// real dispatcher on a real nats-server (mutual TLS, production worker permissions) that
// publishes each node's NodeNetworkState. The tasks ask for an overlay network; the agents
// plumb it and create the containers on it with the allocator's addresses; traffic crosses
// hosts over VXLAN. The dispatcher's store side is in memory (its backend and network source
// from the dispatcher's test support), because the store lives in flotillad; the two are kept
// in step here exactly as the store would be (a status the agent reports reaches both).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TaskState, type Task } from '@flotilla/api';
import { createLogger, type Logger } from '@flotilla/bus';
import { Dispatcher, type TaskStatusWrite } from '@flotilla/dispatcher';
import { createTestHosts, tempDir, waitFor, type TempDir, type TestHost, type TestHosts } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, DockerExecutor, LABEL_NODE_ID, bridgeName, dockerNetworkName, macForIp, overlayDeviceNames, parseLinks, vxlanName } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../../../dispatcher/test/support/cluster.js';
import { assignedTask, MemoryDispatcherBackend } from '../../../dispatcher/test/support/memory-backend.js';
import { MemoryNetworkSource, node, overlay, service } from '../../../dispatcher/test/support/network-objects.js';

const run = randomBytes(3).toString('hex');
const N1 = `ovn1${run}`;
const N2 = `ovn2${run}`;
const NET_A = overlay(`neta${run}`, 'front', '198.19.42.0/24', 4201);
const NET_B = overlay(`netb${run}`, 'back', '198.19.43.0/24', 4202);
const INGRESS = overlay(`ing${run}`, 'ingress', '198.19.44.0/24', 4203, true);
const log: Logger = createLogger({ component: 'agent-overlay-test', level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'silent' });
const wait = { timeoutMs: 30_000 };

/** Keeps the network source's tasks in step with the dispatcher backend's (one store in flotillad). */
class StoreLikeBackend extends MemoryDispatcherBackend {
  constructor(private readonly source: MemoryNetworkSource) {
    super(500);
  }
  override put(task: Task): Task {
    this.source.put('task', task);
    return super.put(task);
  }
  override delete(taskId: string): void {
    this.source.delete('task', taskId);
    super.delete(taskId);
  }
  override async updateTaskStatuses(batch: TaskStatusWrite[]): Promise<void> {
    await super.updateTaskStatuses(batch);
    for (const w of batch) {
      const t = this.tasks.get(w.taskId);
      if (t) this.source.put('task', t);
    }
  }
}

let th: TestHosts;
let h1: TestHost;
let h2: TestHost;
let cluster: TestCluster;
let source: MemoryNetworkSource;
let backend: StoreLikeBackend;
let dispatcher: Dispatcher;
let data: TempDir;
const agents = new Map<string, Agent>();

function overlayTask(id: string, nodeId: string, slot: number, addrs: Record<string, string>, args: string[]): Task {
  const t = assignedTask(id, nodeId, args);
  return {
    ...t,
    serviceId: 'web',
    serviceName: 'web',
    slot,
    networks: Object.entries(addrs).map(([networkId, addr]) => ({ networkId, addresses: [addr], aliases: [] })),
  };
}

async function startAgent(nodeId: string, h: TestHost): Promise<Agent> {
  const bus = await cluster.worker(nodeId);
  const agent = new Agent({
    nodeId,
    nc: bus.nc,
    subjects: cluster.subjects,
    executor: new DockerExecutor(h.dockerHost!),
    dataDir: join(data.path, nodeId),
    logger: log.child({ nodeId }),
    statusDelayMs: 10,
    overlay: { localAddr: h.addr, run: async (argv, input) => ({ stdout: (await h.exec(argv, input === undefined ? {} : { input })).stdout }) },
  });
  agents.set(nodeId, agent);
  await agent.start();
  return agent;
}

const containerOf = (taskId: string) => backend.tasks.get(taskId)?.status?.container?.containerId ?? '';
const running = (taskId: string) => () => backend.stateOf(taskId) === TaskState.TASK_STATE_RUNNING;
const sh = (h: TestHost, container: string, cmd: string[]) => h.exec(['docker', 'exec', container, ...cmd], { allowFailure: true, timeoutMs: 15_000 });
const devices = async (h: TestHost) => overlayDeviceNames(parseLinks((await h.exec(['ip', '-d', '-j', 'link', 'show'])).stdout)).sort();
const dockerNetworks = async (h: TestHost) => (await h.exec(['docker', 'network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith('flotilla-ovl-'));
const fdb = async (h: TestHost, vni: number) => (await h.exec(['bridge', 'fdb', 'show', 'dev', vxlanName(vni)], { allowFailure: true })).stdout;

beforeAll(async () => {
  th = await createTestHosts({ count: 2, withDocker: true });
  [h1, h2] = th.hosts as [TestHost, TestHost];
  cluster = await startTestCluster([N1, N2]);
  data = await tempDir('flotilla-agent-overlay-');
  source = new MemoryNetworkSource();
  source.put('network', NET_A);
  source.put('network', NET_B);
  source.put('network', INGRESS);
  source.put('node', node(N1, h1.addr));
  source.put('node', node(N2, h2.addr));
  source.put('service', service('web', 'web', { networks: [NET_A.id], vips: { [NET_A.id]: '198.19.42.2/24' } }));
  backend = new StoreLikeBackend(source);
  dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend, networks: source, networkBatchMs: 10, logger: log });
  await dispatcher.start();
}, 120_000);

afterAll(async () => {
  for (const a of agents.values()) await a.stop();
  await dispatcher?.stop();
  await cluster?.stop();
  await th?.destroy();
  await data?.cleanup();
}, 120_000);

describe('agent overlay networking from the dispatcher\'s NodeNetworkState (two test hosts, real engines)', () => {
  it('plumbs the task\'s network before creating its container, with the allocator\'s address and the gateway as DNS; traffic crosses hosts', async () => {
    backend.put(overlayTask('t1', N1, 1, { [NET_A.id]: '198.19.42.11/24' }, ['sleep', '3600']));
    backend.put(overlayTask('t2', N2, 2, { [NET_A.id]: '198.19.42.12/24' }, ['nc', '-ll', '-p', '8080', '-e', 'echo', 'pong-from-t2']));
    await startAgent(N1, h1);
    await startAgent(N2, h2);
    await waitFor(() => running('t1')() && running('t2')(), { what: 't1 and t2 RUNNING', ...wait });

    const info = JSON.parse((await h1.exec(['docker', 'inspect', containerOf('t1')])).stdout)[0];
    expect(info.HostConfig.NetworkMode).toBe(dockerNetworkName(NET_A.id));
    expect(info.HostConfig.Dns).toEqual(['198.19.42.1']);
    expect(info.NetworkSettings.Networks[dockerNetworkName(NET_A.id)].IPAddress).toBe('198.19.42.11');
    expect(info.NetworkSettings.Networks[dockerNetworkName(NET_A.id)].MacAddress).toBe(macForIp('198.19.42.11'));
    for (const h of [h1, h2]) expect(await devices(h)).toEqual([bridgeName(4201), vxlanName(4201)].sort());

    const ping = await sh(h1, containerOf('t1'), ['ping', '-c', '1', '-W', '3', '198.19.42.12']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    const tcp = await sh(h1, containerOf('t1'), ['sh', '-c', 'nc -w 3 198.19.42.12 8080 </dev/null']);
    expect(tcp.stdout.trim()).toBe('pong-from-t2');
  }, 120_000);

  it('names the engine does not know are asked of the network\'s gateway (where ipvs-lb answers DNS)', async () => {
    // A stand-in for ipvs-lb's DNS server: a UDP listener on the gateway address in h1's namespace.
    const listener = h1.spawn(['node', '-e', "const s=require('dgram').createSocket('udp4');s.on('message',(m)=>process.stdout.write(m.toString('latin1')+'\\n'));s.bind(53,'198.19.42.1',()=>process.stdout.write('READY\\n'));"]);
    let heard = '';
    listener.stdout!.on('data', (d: Buffer) => (heard += d.toString('latin1')));
    try {
      await waitFor(() => heard.includes('READY'), { what: 'listener on the gateway', ...wait });
      await sh(h1, containerOf('t1'), ['nslookup', 'flt-probe-name']);
      await waitFor(() => heard.includes('flt-probe-name'), { what: 'the query forwarded to the gateway', ...wait });
    } finally {
      listener.kill('SIGKILL');
    }
  }, 120_000);

  it('each new state brings the forwarding entries along: a task started later on the other host is reachable', async () => {
    backend.put(overlayTask('t3', N2, 3, { [NET_A.id]: '198.19.42.13/24' }, ['sleep', '3600']));
    await waitFor(running('t3'), { what: 't3 RUNNING', ...wait });
    await waitFor(async () => (await fdb(h1, 4201)).includes(`${macForIp('198.19.42.13')} dst ${h2.addr}`), { what: 'h1 fdb entry for t3', ...wait });
    const ping = await sh(h1, containerOf('t1'), ['ping', '-c', '1', '-W', '3', '198.19.42.13']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  }, 120_000);

  it('a task on several networks gets all of them before it starts; its own networks\' gateways are its DNS, not ingress', async () => {
    source.put('service', service('web', 'web', { networks: [NET_A.id, NET_B.id], publish: 18080 }));
    // the allocator lists ingress first
    backend.put(overlayTask('t4', N1, 4, { [INGRESS.id]: '198.19.44.14/24', [NET_A.id]: '198.19.42.14/24', [NET_B.id]: '198.19.43.14/24' }, ['sleep', '3600']));
    await waitFor(running('t4'), { what: 't4 RUNNING', ...wait });
    const info = JSON.parse((await h1.exec(['docker', 'inspect', containerOf('t4')])).stdout)[0];
    const nets = info.NetworkSettings.Networks;
    expect(nets[dockerNetworkName(NET_A.id)].IPAddress).toBe('198.19.42.14');
    expect(nets[dockerNetworkName(NET_B.id)].IPAddress).toBe('198.19.43.14');
    expect(nets[dockerNetworkName(INGRESS.id)].IPAddress).toBe('198.19.44.14');
    expect(info.HostConfig.NetworkMode).toBe(dockerNetworkName(NET_A.id));
    expect(info.HostConfig.Dns).toEqual(['198.19.42.1', '198.19.43.1']);
    expect(await devices(h1)).toEqual([bridgeName(4201), bridgeName(4202), bridgeName(4203), vxlanName(4201), vxlanName(4202), vxlanName(4203)].sort());
    // h2 has no task on B or ingress: nothing of them there (ingress for the routing mesh is ipvs-lb's)
    expect(await devices(h2)).toEqual([bridgeName(4201), vxlanName(4201)].sort());
    // h1's ingress knows h2 as a peer (every node answers on published ports)
    expect(await fdb(h1, 4203)).toContain(`00:00:00:00:00:00 dst ${h2.addr}`);
  }, 120_000);

  it('removes a network\'s devices and Docker network once its last task on the host is gone', async () => {
    backend.delete('t2');
    backend.delete('t3');
    await waitFor(async () => (await devices(h2)).length === 0 && (await dockerNetworks(h2)).length === 0, { what: 'h2 overlay gone', ...wait });
    backend.delete('t4');
    await waitFor(async () => (await devices(h1)).join() === [bridgeName(4201), vxlanName(4201)].sort().join(), { what: 'networks B and ingress gone from h1', ...wait });
    expect(await dockerNetworks(h1)).toEqual([dockerNetworkName(NET_A.id)]);
  }, 120_000);

  it('a restarted agent keeps what its re-adopted containers use and prunes what no task needs any more', async () => {
    const a1 = agents.get(N1)!;
    await a1.stop();
    agents.delete(N1);
    const t1Container = containerOf('t1');
    // while the agent is away: t1 goes, t5 (same network) arrives; and someone left network B's devices behind
    backend.delete('t1');
    backend.put(overlayTask('t5', N1, 5, { [NET_A.id]: '198.19.42.15/24' }, ['sleep', '3600']));
    await h1.exec(['ip', 'link', 'add', bridgeName(4202), 'type', 'bridge']);
    await startAgent(N1, h1);
    await waitFor(running('t5'), { what: 't5 RUNNING after restart', ...wait });
    await waitFor(async () => (await h1.exec(['docker', 'inspect', t1Container], { allowFailure: true })).code !== 0, { what: 't1 container removed', ...wait });
    await waitFor(async () => !(await devices(h1)).includes(bridgeName(4202)), { what: 'stale bridge of B pruned', ...wait });
    expect(await devices(h1)).toEqual([bridgeName(4201), vxlanName(4201)].sort());
    expect(await dockerNetworks(h1)).toEqual([dockerNetworkName(NET_A.id)]);
  }, 120_000);

  it('leaves nothing once every task is gone', async () => {
    backend.delete('t5');
    await waitFor(async () => (await devices(h1)).length === 0 && (await dockerNetworks(h1)).length === 0, { what: 'h1 overlay gone', ...wait });
    const left = (await h1.exec(['docker', 'ps', '-aq', '--filter', `label=${LABEL_NODE_ID}=${N1}`])).stdout.trim();
    expect(left).toBe('');
  }, 120_000);
});
