import { Network, Node, Service, Task, TaskState } from '@flotilla/api';
import { TransactionBuilder } from '../../src/store/transaction.js';
import type { Store } from '../../src/store/store.js';

export function service(id: string, name: string, labels: Record<string, string> = {}): Service {
  return Service.fromPartial({ id, spec: { annotations: { name, labels }, replicas: 3 } });
}

export function task(id: string, serviceId: string, slot: number, nodeId = '', desired = TaskState.TASK_STATE_RUNNING, labels: Record<string, string> = {}): Task {
  return Task.fromPartial({ id, serviceId, slot, nodeId, desiredState: desired, annotations: { labels }, status: { state: TaskState.TASK_STATE_NEW } });
}

export function node(id: string, hostname: string, labels: Record<string, string> = {}): Node {
  return Node.fromPartial({ id, description: { hostname }, spec: { annotations: { labels } } });
}

export function network(id: string, name: string): Network {
  return Network.fromPartial({ id, spec: { annotations: { name }, driver: 'overlay' } });
}

/** A fake Raft log: hands out increasing indexes and applies each transaction to every store given. */
export class Log {
  private next = 1;
  readonly entries: Array<{ index: number; data: Uint8Array }> = [];
  constructor(readonly stores: Store[]) {}

  tx(id: string, timestampMs = 1_700_000_000_000 + this.next): TransactionBuilder & { commit: () => ReturnType<Store['apply']> } {
    const b = new TransactionBuilder(id, timestampMs) as TransactionBuilder & { commit: () => ReturnType<Store['apply']> };
    b.commit = () => this.append(b.encode());
    return b;
  }

  append(data: Uint8Array): ReturnType<Store['apply']> {
    const index = this.next++;
    this.entries.push({ index, data });
    let first: ReturnType<Store['apply']> | undefined;
    for (const s of this.stores) {
      const r = s.apply(index, data);
      first ??= r;
    }
    return first!;
  }
}

export const ids = <T extends { id: string }>(xs: Iterable<T>): string[] => [...xs].map((x) => x.id).sort();
