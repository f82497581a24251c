// WorkingSet over a real (pure) Store view: later steps of a pass see earlier decisions, and the
// pass's writes split into transactions without separating linked writes.
import { Service, StoreTransaction, Task, TaskState } from '@flotilla/api';
import { Store, TransactionBuilder } from '@flotilla/raft';
import { describe, expect, it } from 'vitest';
import { WorkingSet } from '../../src/service/working-set.js';
import { newTask } from '../../src/new-task.js';

function storeWithTasks(states: TaskState[]): Store {
  const store = new Store();
  const b = new TransactionBuilder('seed', 1).create('service', Service.fromPartial({ id: 's', spec: { annotations: { name: 's' }, replicas: states.length } }));
  states.forEach((state, i) =>
    b.create('task', Task.fromPartial({ id: `t${i + 1}`, serviceId: 's', slot: i + 1, nodeId: 'n1', status: { state }, desiredState: TaskState.TASK_STATE_RUNNING })),
  );
  const r = store.apply(1, b.encode());
  if (!r.ok) throw r.error;
  return store;
}

describe('WorkingSet', () => {
  it('shows its own changes to later reads and ends never-assigned tasks it shuts down', () => {
    const store = storeWithTasks([TaskState.TASK_STATE_ASSIGNED, TaskState.TASK_STATE_PENDING]);
    const ws = new WorkingSet(store.view(), 100);
    expect(ws.apply({ type: 'shutdown', taskId: 't1', reason: 'x' })).toBe(true);
    expect(ws.apply({ type: 'shutdown', taskId: 't1', reason: 'again' })).toBe(false);
    ws.apply({ type: 'shutdown', taskId: 't2', reason: 'scaled down' });
    expect(ws.get('t1')!.desiredState).toBe(TaskState.TASK_STATE_SHUTDOWN);
    expect(ws.get('t1')!.status!.state).toBe(TaskState.TASK_STATE_ASSIGNED); // its agent reports the end
    expect(ws.get('t2')!.status).toMatchObject({ state: TaskState.TASK_STATE_SHUTDOWN, message: 'scaled down', timestamp: 100 });
    const service = store.view().services.get('s')!;
    ws.apply({ type: 'create', task: newTask(service, { slot: 1, nodeId: '', now: 100, newId: () => 'r1' }) });
    expect(ws.bySlot('s', 1).map((t) => t.id).sort()).toEqual(['r1', 't1']);
    ws.delete('t2');
    expect(ws.byService('s').map((t) => t.id).sort()).toEqual(['r1', 't1']);
    expect(store.view().tasks.get('t1')!.desiredState).toBe(TaskState.TASK_STATE_RUNNING); // the view is untouched
  });

  it('splits writes into transactions of at most N, keeping linked writes together, and they apply', () => {
    const store = storeWithTasks(Array.from({ length: 5 }, () => TaskState.TASK_STATE_FAILED));
    const service = store.view().services.get('s')!;
    const ws = new WorkingSet(store.view(), 100);
    for (let i = 1; i <= 5; i++) {
      const replacement = newTask(service, { slot: i, nodeId: '', now: 100, newId: () => `r${i}` });
      ws.apply({ type: 'shutdown', taskId: `t${i}`, reason: 'failed' });
      ws.apply({ type: 'create', task: replacement });
      ws.link([`t${i}`, `r${i}`]);
    }
    const txs = ws.transactions('p', 3);
    expect(txs.map((t) => t.size)).toEqual([2, 2, 2, 2, 2]);
    for (const tx of txs) {
      const ids = StoreTransaction.decode(tx.encode()).actions.map((a) => (a.object?.kind?.value as Task).id);
      const slot = ids[0]!.slice(1);
      expect(ids.sort()).toEqual([`r${slot}`, `t${slot}`]);
    }
    const unlinked = new WorkingSet(store.view(), 100);
    for (let i = 1; i <= 5; i++) unlinked.apply({ type: 'shutdown', taskId: `t${i}`, reason: 'x' });
    expect(unlinked.transactions('q', 2).map((t) => t.size)).toEqual([2, 2, 1]);

    let index = 2;
    for (const tx of txs) expect(store.apply(index++, tx.encode()).ok).toBe(true);
    expect(store.view().tasks.byDesiredState(TaskState.TASK_STATE_RUNNING).map((t) => t.id).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  });
});
