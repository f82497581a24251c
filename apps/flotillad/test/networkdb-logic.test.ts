import { Task, TaskState, type NetworkDbEndpoint } from '@flotilla/api';
import { newRecord, type TaskRecord } from '@flotilla/agent';
import { NetworkDb } from '@flotilla/gossip';
import { describe, expect, it } from 'vitest';
import { desiredRows, diffRows, isServingLocally, NO_ROWS, type RowWrite } from '../src/networkdb/local-rows.js';
import { gossipInfoOf, liveFactsOf } from '../src/networkdb/networkdb-view.js';

const S = TaskState;

function rec(id: string, nets: Record<string, string>, over: Partial<TaskRecord> = {}, desired: TaskState = S.TASK_STATE_RUNNING): TaskRecord {
  const task = Task.fromPartial({
    id,
    serviceId: 'svc-web',
    serviceName: 'web',
    desiredState: desired,
    status: { state: S.TASK_STATE_ASSIGNED },
    networks: Object.entries(nets).map(([networkId, a]) => ({ networkId, addresses: [a] })),
  });
  return { ...newRecord(task), state: S.TASK_STATE_RUNNING, containerId: `c-${id}`, running: true, ...over };
}

const opts = { nodeId: 'n1', vtepAddr: '198.18.0.11', lbNetworks: [] as string[] };
const show = (ws: RowWrite[]) =>
  ws.map((w) => (w.kind === 'put' ? `put ${w.networkId}/${w.endpoint.taskId}=${w.endpoint.ip}` : w.kind === 'delete' ? `delete ${w.networkId}/${w.taskId}` : w.kind === 'vtep' ? `vtep ${w.networkId}=${w.addr}` : `${w.kind} ${w.networkId}`));

describe('local network DB rows', () => {
  it('serving locally: running, container up, not unhealthy, wanted running, not being stopped', () => {
    expect(isServingLocally(rec('t', {}))).toBe(true);
    expect(isServingLocally(rec('t', {}, { health: 'healthy' }))).toBe(true);
    expect(isServingLocally(rec('t', {}, { health: 'unhealthy' }))).toBe(false);
    expect(isServingLocally(rec('t', {}, { state: S.TASK_STATE_STARTING }))).toBe(false);
    expect(isServingLocally(rec('t', {}, { running: false }))).toBe(false);
    expect(isServingLocally(rec('t', {}, { pending: 'stop' }))).toBe(false);
    expect(isServingLocally(rec('t', {}, { unassigned: true }))).toBe(false);
    expect(isServingLocally(rec('t', {}, {}, S.TASK_STATE_SHUTDOWN))).toBe(false);
  });

  it('a first task on a network joins its group, writes the VTEP, then its endpoint once it serves', () => {
    const starting = desiredRows([rec('t1', { net1: '10.1.0.3/24' }, { state: S.TASK_STATE_STARTING, running: false })], opts);
    expect(show(diffRows(NO_ROWS, starting))).toEqual(['join net1', 'vtep net1=198.18.0.11']);
    const serving = desiredRows([rec('t1', { net1: '10.1.0.3/24' })], opts);
    const put = diffRows(starting, serving);
    expect(show(put)).toEqual(['put net1/t1=10.1.0.3']);
    expect(put[0]).toMatchObject({ endpoint: { taskId: 't1', serviceId: 'svc-web', serviceName: 'web', ip: '10.1.0.3', nodeId: 'n1' } });
    // Nothing changed, nothing written.
    expect(diffRows(serving, desiredRows([rec('t1', { net1: '10.1.0.3/24' })], opts))).toEqual([]);
  });

  it('a task that turns unhealthy or is told to stop loses its row at once; the last task gone leaves the group', () => {
    const two = desiredRows([rec('t1', { net1: '10.1.0.3/24', ingress: '10.0.0.3/24' }), rec('t2', { net1: '10.1.0.4/24' })], opts);
    expect(show(diffRows(NO_ROWS, two))).toEqual(['join ingress', 'join net1', 'vtep ingress=198.18.0.11', 'vtep net1=198.18.0.11', 'put ingress/t1=10.0.0.3', 'put net1/t1=10.1.0.3', 'put net1/t2=10.1.0.4']);
    const unhealthy = desiredRows([rec('t1', { net1: '10.1.0.3/24', ingress: '10.0.0.3/24' }, { health: 'unhealthy' }), rec('t2', { net1: '10.1.0.4/24' })], opts);
    expect(show(diffRows(two, unhealthy))).toEqual(['delete ingress/t1', 'delete net1/t1']);
    // t1 finished, t2 is told to shut down: net1 stays while t2's container lives; ingress goes.
    const stopping = desiredRows([rec('t1', { net1: '10.1.0.3/24', ingress: '10.0.0.3/24' }, { state: S.TASK_STATE_FAILED, running: false }), rec('t2', { net1: '10.1.0.4/24' }, {}, S.TASK_STATE_SHUTDOWN)], opts);
    expect(show(diffRows(unhealthy, stopping))).toEqual(['delete net1/t2', 'leave ingress']);
    expect(show(diffRows(stopping, desiredRows([], opts)))).toEqual(['leave net1']);
  });

  it('the ingress group follows the load balancer, with or without tasks on it', () => {
    const lb = desiredRows([], { ...opts, lbNetworks: ['ingress'] });
    expect(show(diffRows(NO_ROWS, lb))).toEqual(['join ingress', 'vtep ingress=198.18.0.11']);
    expect(show(diffRows(lb, { ...lb, vtepAddr: '198.18.0.99' }))).toEqual(['vtep ingress=198.18.0.99']);
  });
});

describe('network DB views', () => {
  const ep = (taskId: string, ip: string, nodeId: string): NetworkDbEndpoint => ({ taskId, serviceId: 's', serviceName: 's', ip, nodeId });

  it('live facts list every joined network with its members, VTEPs and live endpoints', () => {
    const a = new NetworkDb({ nodeId: 'a' });
    const b = new NetworkDb({ nodeId: 'b' });
    b.joinNetwork('n', 0);
    for (const m of [a.joinNetwork('n', 0), a.putVtep('n', '198.18.0.1', 0), a.putEndpoint('n', ep('t1', '10.0.0.2', 'a'), 0), a.putEndpoint('n', ep('t2', '10.0.0.3', 'a'), 0), a.deleteEndpoint('n', 't2', 1)]) b.apply(m, 1);
    const facts = liveFactsOf(b);
    expect([...facts.keys()]).toEqual(['n']);
    expect(facts.get('n')).toEqual({ members: ['a', 'b'], vteps: [{ nodeId: 'a', addr: '198.18.0.1' }], endpoints: [ep('t1', '10.0.0.2', 'a')] });

    const info = gossipInfoOf(
      [
        { id: 'a', addr: '', incarnation: 0, state: 'alive', meta: new Uint8Array(), since: 0 },
        { id: 'b', addr: '', incarnation: 0, state: 'alive', meta: new Uint8Array(), since: 0 },
        { id: 'c', addr: '', incarnation: 0, state: 'suspect', meta: new Uint8Array(), since: 0 },
        { id: 'd', addr: '', incarnation: 0, state: 'dead', meta: new Uint8Array(), since: 0 },
      ],
      [{ cause: 'bad-key', count: 3 }, { cause: 'frame-oversize', count: 1 }],
      b,
      (id) => (id === 'n' ? 'mynet' : undefined),
    );
    expect(info).toEqual({
      membersAlive: 2,
      membersSuspect: 1,
      membersDead: 1,
      membersLeft: 0,
      networks: [{ networkId: 'n', networkName: 'mynet', peers: 2, endpoints: 1, vteps: 1, tombstones: 1 }],
      refused: [{ cause: 'bad-key', count: 3 }, { cause: 'frame-oversize', count: 1 }],
    });
  });
});
