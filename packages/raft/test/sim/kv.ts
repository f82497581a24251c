import type { RaftConfState } from '@flotilla/api';

/** A client operation carried in a log entry. */
export type KvOp = { id: string; op: 'put'; key: string; value: string } | { id: string; op: 'get'; key: string };

export function encodeOp(op: KvOp): Buffer {
  return Buffer.from(JSON.stringify(op));
}

export function decodeOp(data: Buffer): KvOp | undefined {
  if (data.length === 0 || data[0] !== 0x7b) return undefined; // not a JSON object: a plain test payload
  return JSON.parse(data.toString('utf8')) as KvOp;
}

/** The replicated state machine of the simulation: a string map. */
export class KvStateMachine {
  kv = new Map<string, string>();
  /** Results of applied operations by id: a proposal the network duplicated applies once. */
  done = new Map<string, string>();
  appliedIndex = 0;
  confState: RaftConfState;

  constructor(confState: RaftConfState) {
    this.confState = confState;
  }

  /** Applies op; returns what a client sees (the value read, or "ok"). */
  apply(op: KvOp): string {
    const prior = this.done.get(op.id);
    if (prior !== undefined) return prior;
    let result: string;
    if (op.op === 'put') {
      this.kv.set(op.key, op.value);
      result = 'ok';
    } else {
      result = this.kv.get(op.key) ?? '';
    }
    this.done.set(op.id, result);
    return result;
  }

  read(key: string): string {
    return this.kv.get(key) ?? '';
  }

  snapshot(): Buffer {
    return Buffer.from(JSON.stringify({ kv: [...this.kv], done: [...this.done], appliedIndex: this.appliedIndex }));
  }

  static restore(data: Buffer, confState: RaftConfState): KvStateMachine {
    const sm = new KvStateMachine(confState);
    if (data.length === 0) return sm;
    const parsed = JSON.parse(data.toString('utf8')) as { kv: [string, string][]; done: [string, string][]; appliedIndex: number };
    sm.kv = new Map(parsed.kv);
    sm.done = new Map(parsed.done);
    sm.appliedIndex = parsed.appliedIndex;
    return sm;
  }
}
