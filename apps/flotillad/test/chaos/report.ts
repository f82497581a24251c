// Words for a chaos run's outcome: the closing line, and around a linearizability violation a
// short window of the history (with the faults active then) to start the investigation from.
import { describeOperation, type CheckResult, type PartitionFailure } from '@flotilla/testkit';
import type { FaultRecord } from './faults.js';
import { servicesModel, type ServiceInput, type ServiceOutput } from './services-model.js';
import type { ChaosOp } from './workload.js';

export interface Summary {
  readonly seed: number;
  readonly faults: number;
  readonly ops: number;
  readonly acked: number;
  readonly lost: number;
  readonly duplicate: number;
  readonly linearizable: 'yes' | 'no' | 'unknown';
  /** Seconds from the end of the faults to desired = actual; undefined if it never converged. */
  readonly convergeS: number | undefined;
}

export function closingLine(s: Summary): string {
  const converge = s.convergeS === undefined ? 'never' : s.convergeS.toFixed(1);
  return `chaos: seed=${s.seed} faults=${s.faults} ops=${s.ops} acked=${s.acked} lost=${s.lost} duplicate=${s.duplicate} linearizable=${s.linearizable} converge_s=${converge}`;
}

const sec = (ms: number): string => (ms / 1000).toFixed(3);

export function describeChaosOp(op: ChaosOp): string {
  const end = op.outcome === 'ok' ? sec(op.ret!) : op.outcome;
  const text = describeOperation(servicesModel, { ...op, client: undefined });
  return `  c${op.client} via ${op.via} [${sec(op.call)}, ${end}] ${text.replace(/ \[[^\]]*\]$/, '')}${op.error ? ` (${op.error})` : ''}`;
}

/** The operations of the failing service around the first one that could not be placed, and the faults then. */
export function violationWindows(result: CheckResult<ServiceInput, ServiceOutput>, faults: readonly FaultRecord[]): string[] {
  return result.failures.map((f) => violationWindow(f, faults));
}

function violationWindow(f: PartitionFailure<ServiceInput, ServiceOutput>, faults: readonly FaultRecord[], beforeMs = 5_000, maxOps = 40): string {
  const ops = f.operations as ChaosOp[];
  const pivot = (f.blocked[0] ?? ops.at(-1)!) as ChaosOp;
  const from = pivot.call - beforeMs;
  const to = pivot.outcome === 'ok' ? pivot.ret! : pivot.call;
  const inWindow = ops.filter((op) => op.call <= to && (op.outcome !== 'ok' || op.ret! >= from)).slice(-maxOps);
  const lines = [`service ${f.partition}: no linearization. Operations from ${sec(from)} s to ${sec(to)} s (run clock):`];
  lines.push(...inWindow.map((op) => `${op === pivot ? '>' : ' '}${describeChaosOp(op)}`));
  lines.push(`longest linearization found (${f.longest.length} of ${ops.length} operations), its end:`);
  for (const step of f.longest.slice(-6)) lines.push(`${describeChaosOp(step.op as ChaosOp)}  => ${step.stateAfter}`);
  lines.push(`could not come next: ${f.blocked.length} operation(s), e.g.`);
  for (const op of f.blocked.slice(0, 4)) lines.push(describeChaosOp(op as ChaosOp));
  const active = faults.filter((x) => !x.skipped && x.startMs <= to && (x.endMs ?? Infinity) >= from - 30_000);
  lines.push(active.length > 0 ? 'faults around then:' : 'no fault around then');
  for (const x of active) lines.push(`  ${x.kind} ${x.nodes.join(',')} [${sec(x.startMs)}, ${x.endMs === undefined ? '…' : sec(x.endMs)}] ${x.detail}`);
  return lines.join('\n');
}
