// Linearizability by search: Wing & Gong's backtracking over the history's call/return events,
// with Lowe's memoization of (set of operations linearized, state) pairs already explored, per
// partition of independent operations (Horn & Kroening's P-compositionality) — the design
// Porcupine and Knossos use. Pure: takes a model and operations, returns a verdict.
import type { Model, Operation } from './model.js';

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface CheckOptions {
  /** Search steps allowed over all partitions before giving up with `unknown` (default 5 million). */
  readonly maxSteps?: number;
  /** Wall-clock time allowed (ms) before giving up with `unknown` (default: no limit). */
  readonly timeoutMs?: number;
}

/** One operation placed in the longest linearization found of a refused partition. */
export interface LinearizedStep<I, O> {
  readonly op: Operation<I, O>;
  /** The model's state after it. */
  readonly stateAfter: string;
}

export interface PartitionFailure<I, O> {
  readonly partition: string;
  /** Longest prefix of a linearization the search reached (in order). */
  readonly longest: readonly LinearizedStep<I, O>[];
  /** Completed operations that could not be placed after `longest`: none of them fits its state. */
  readonly blocked: readonly Operation<I, O>[];
  /** Every operation of the partition that was checked, sorted by call time. */
  readonly operations: readonly Operation<I, O>[];
}

export interface CheckResult<I, O> {
  readonly verdict: Verdict;
  /** Operations checked (fail outcomes are left out). */
  readonly operations: number;
  readonly partitions: number;
  /** Search steps taken, to keep an eye on the cost. */
  readonly steps: number;
  /** The first partition found with no linearization. */
  readonly failure?: PartitionFailure<I, O>;
  /** Every partition found with no linearization (all are checked). */
  readonly failures: readonly PartitionFailure<I, O>[];
  /** Partitions whose search ran out of steps or time. */
  readonly undecided: readonly string[];
}

const DEFAULT_MAX_STEPS = 5_000_000;

interface Entry {
  readonly isCall: boolean;
  readonly time: number;
  readonly opIndex: number;
  /** The call's return entry (undefined for an unknown outcome); the return's call entry. */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** Checks `history` against `model`; operations with outcome `fail` are left out. */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult<I, O> {
  const relevant = history.filter((op) => op.outcome !== 'fail');
  for (const op of relevant) {
    if (op.outcome === 'ok' && (op.ret === undefined || op.ret < op.call)) {
      throw new Error(`operation ${describeOperation(model, op)} returned ok without a return time at or after its call (${op.call}..${op.ret})`);
    }
  }
  const byPartition = new Map<string, Operation<I, O>[]>();
  for (const op of relevant) {
    const key = model.partition ? model.partition(op.input) : '';
    let list = byPartition.get(key);
    if (!list) byPartition.set(key, (list = []));
    list.push(op);
  }
  let budget = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let steps = 0;
  const undecided: string[] = [];
  const failures: PartitionFailure<I, O>[] = [];
  // Small partitions first: a violation there is found cheaply.
  const ordered = [...byPartition.entries()].sort((a, b) => a[1].length - b[1].length);
  for (const [key, ops] of ordered) {
    const r = checkPartition(model, key, ops, budget, deadline);
    steps += r.steps;
    budget -= r.steps;
    if (r.failure) failures.push(r.failure);
    if (r.outOfSteps) undecided.push(key);
  }
  const verdict: Verdict = failures.length > 0 ? 'not-linearizable' : undecided.length > 0 ? 'unknown' : 'linearizable';
  return { verdict, operations: relevant.length, partitions: byPartition.size, steps, ...(failures[0] ? { failure: failures[0] } : {}), failures, undecided };
}

/** Entries sorted by time; at equal times calls come first, so touching operations count as concurrent. */
function buildEntries<I, O>(ops: readonly Operation<I, O>[]): { head: Entry; completed: number } {
  const entries: Entry[] = [];
  let completed = 0;
  ops.forEach((op, i) => {
    const call: Entry = { isCall: true, time: op.call, opIndex: i, match: undefined, prev: undefined, next: undefined };
    entries.push(call);
    if (op.outcome === 'ok') {
      const ret: Entry = { isCall: false, time: op.ret!, opIndex: i, match: call, prev: undefined, next: undefined };
      call.match = ret;
      entries.push(ret);
      completed++;
    }
  });
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.opIndex - b.opIndex : a.isCall ? -1 : 1));
  const head: Entry = { isCall: false, time: -Infinity, opIndex: -1, match: undefined, prev: undefined, next: undefined };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return { head, completed };
}

function unlink(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

interface Frame<S> {
  readonly call: Entry;
  readonly stateBefore: S;
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  unsorted: readonly Operation<I, O>[],
  budget: number,
  deadline: number,
): { steps: number; outOfSteps?: boolean; failure?: PartitionFailure<I, O> } {
  const ops = [...unsorted].sort((a, b) => a.call - b.call);
  const { head, completed } = buildEntries(ops);
  let remaining = completed;
  const linearized = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const seen = new Set<string>();
  const stack: Frame<S>[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  let longest: LinearizedStep<I, O>[] = [];
  let blockedAtLongest = new Set<number>();

  const flip = (i: number): void => {
    linearized[i >>> 5]! ^= 1 << (i & 31);
  };

  while (remaining > 0) {
    if (++steps > budget || (steps % 10_000 === 0 && Date.now() > deadline)) return { steps, outOfSteps: true };
    if (entry === undefined) throw new Error('internal: ran past the last event with completed operations left');
    if (entry.isCall) {
      const op = ops[entry.opIndex]!;
      const next = model.step(state, op.input, op.outcome === 'ok' ? op.output : undefined);
      if (next !== undefined) {
        flip(entry.opIndex);
        const memo = `${linearized.join(',')}|${model.stateKey(next)}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ call: entry, stateBefore: state });
          state = next;
          unlink(entry);
          if (entry.match) {
            unlink(entry.match);
            remaining--;
          }
          if (stack.length > longest.length) {
            longest = stack.map((f, i) => ({
              op: ops[f.call.opIndex]!,
              stateAfter: describeState(model, i + 1 < stack.length ? stack[i + 1]!.stateBefore : state),
            }));
            blockedAtLongest = new Set();
          }
          entry = head.next;
          continue;
        }
        flip(entry.opIndex);
      }
      entry = entry.next;
      continue;
    }
    // A return whose call is not linearized yet: nothing later may go first. Undo the last choice.
    if (stack.length === longest.length) blockedAtLongest.add(entry.opIndex);
    const top = stack.pop();
    if (top === undefined) {
      return {
        steps,
        failure: { partition: key, longest, blocked: [...blockedAtLongest].sort((a, b) => a - b).map((i) => ops[i]!), operations: ops },
      };
    }
    state = top.stateBefore;
    flip(top.call.opIndex);
    if (top.call.match) {
      relink(top.call.match);
      remaining++;
    }
    relink(top.call);
    entry = top.call.next;
  }
  return { steps };
}

function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  return model.describeState ? model.describeState(state) : model.stateKey(state);
}

export function describeOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const out = op.outcome === 'ok' ? op.output : undefined;
  const text = model.describeOperation ? model.describeOperation(op.input, out) : `${JSON.stringify(op.input)} -> ${op.outcome === 'ok' ? JSON.stringify(out) : op.outcome}`;
  const who = op.client === undefined ? '' : `client ${op.client}: `;
  const when = op.outcome === 'ok' ? `[${op.call}, ${op.ret}]` : `[${op.call}, ${op.outcome}]`;
  return `${who}${text} ${when}`;
}
