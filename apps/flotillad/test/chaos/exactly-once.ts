// Every acknowledged write present exactly once, nothing refused present: what a chaos history
// and the final state (read from every manager after the faults) say about it. Pure. The
// linearizability check catches these too; this names them plainly and counts them.
import type { ServiceState } from './services-model.js';
import type { ChaosOp } from './workload.js';

export interface ExactlyOnce {
  /** Writes answered ok (create / update / scale / rm that did something). */
  readonly acked: number;
  /** Acknowledged writes whose effect the final state lacks although nothing could have replaced it. */
  readonly lost: string[];
  /** Writes that took effect twice: a value under two service ids, a name twice in one list, a create refused as "exists" by its own earlier apply. */
  readonly duplicate: string[];
  /** Writes refused (known not applied) whose value was seen all the same. */
  readonly refusedPresent: string[];
}

const isWrite = (op: ChaosOp): boolean => op.input.kind !== 'read';
const valueOf = (op: ChaosOp): string | undefined => ('value' in op.input ? op.input.value : undefined);

/**
 * `final` is the state of each name as the managers agreed on it at the end, after every
 * operation had returned or been given up.
 */
export function exactlyOnce(history: readonly ChaosOp[], final: ReadonlyMap<string, ServiceState>): ExactlyOnce {
  const lost: string[] = [];
  const duplicate: string[] = [];
  const refusedPresent: string[] = [];
  const acked = history.filter((op) => isWrite(op) && op.outcome === 'ok' && op.output === 'ok');

  // Which values were seen, under which service ids.
  const seen = new Map<string, Set<string>>();
  const see = (value: string, id: string | undefined): void => {
    let ids = seen.get(value);
    if (!ids) seen.set(value, (ids = new Set()));
    if (id) ids.add(id);
  };
  for (const op of history) {
    if (op.outcome !== 'ok') continue;
    if (op.input.kind === 'read' && typeof op.output === 'object' && op.output.exists) see(op.output.value, op.ids?.[0]);
    if (op.input.kind === 'create' && op.output === 'ok') see(op.input.value, op.ids?.[0]);
    if (op.input.kind === 'read' && (op.ids?.length ?? 0) > 1) duplicate.push(`service ls via ${op.via} listed ${op.input.name} ${op.ids!.length} times (ids ${op.ids!.join(', ')})`);
  }
  for (const state of final.values()) if (state.exists) see(state.value, undefined);
  for (const [value, ids] of seen) if (ids.size > 1) duplicate.push(`value ${value} seen under ${ids.size} service ids (${[...ids].join(', ')}): created twice`);

  for (const op of history) {
    const value = valueOf(op);
    if (value === undefined || !seen.has(value)) continue;
    if (op.input.kind === 'create' && op.outcome === 'ok' && op.output === 'exists') {
      duplicate.push(`create ${op.input.name} ${value} answered "exists" via ${op.via} but its value was seen: its own earlier apply refused the retry`);
    } else if (op.outcome === 'fail') {
      refusedPresent.push(`${op.input.kind} ${op.input.name} ${value} was refused via ${op.via} (${op.error}) but its value was seen`);
    }
  }

  // The final state must show a name's last acknowledged write when no other write could have come after it.
  const names = new Set(history.map((op) => op.input.name));
  for (const name of names) {
    const writes = history.filter((op) => op.input.name === name && isWrite(op) && op.outcome !== 'fail');
    const lastAcked = acked.filter((op) => op.input.name === name).sort((a, b) => a.ret! - b.ret!).at(-1);
    if (!lastAcked) continue;
    // Another write that may follow it: invoked before it returned (concurrent) or after (later), other than itself.
    const rivals = writes.filter((op) => op !== lastAcked && (op.outcome === 'unknown' || op.ret! > lastAcked.call));
    if (rivals.some((op) => op.outcome === 'unknown' || op.output === 'ok')) continue;
    const state = final.get(name) ?? { exists: false };
    const input = lastAcked.input;
    const kept =
      input.kind === 'create' ? state.exists && state.value === input.value && state.replicas === input.replicas
      : input.kind === 'update' ? state.exists && state.value === input.value
      : input.kind === 'scale' ? state.exists && state.replicas === input.replicas
      : !state.exists;
    if (!kept) lost.push(`${input.kind} ${name}${valueOf(lastAcked) ? ` ${valueOf(lastAcked)}` : ''} acknowledged via ${lastAcked.via} is not in the final state (${state.exists ? `${state.value}, replicas ${state.replicas}` : 'absent'})`);
  }
  return { acked: acked.length, lost, duplicate, refusedPresent };
}
