// npm run test:chaos -- --seconds S --seed N [--managers 3|5] [--faults kind,kind]   (as root, under the e2e lock)
// Prints progress on stderr, what went wrong, and last the closing line on stdout; exits 1 when
// anything went wrong (with the seed and the command that runs it again).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reproduceCommand, runChaos, type ChaosOptions } from './run-chaos.js';
import { FAULT_KINDS, type FaultKind } from './schedule.js';

function options(): ChaosOptions {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, managers: { type: 'string', default: '3' }, faults: { type: 'string' } },
    strict: true,
  });
  const seconds = Number(values.seconds);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
  const managers = Number(values.managers);
  if (!Number.isInteger(seconds) || seconds < 10) throw new Error(`--seconds must be an integer of at least 10, got ${values.seconds}`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
  if (managers !== 3 && managers !== 5) throw new Error(`--managers must be 3 or 5, got ${values.managers}`);
  const kinds = values.faults?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
  const unknownKinds = kinds?.filter((k) => !FAULT_KINDS.includes(k)) ?? [];
  if (unknownKinds.length > 0) throw new Error(`--faults: unknown kind ${unknownKinds.join(', ')} (kinds: ${FAULT_KINDS.join(', ')})`);
  return { seconds, seed, managers, ...(kinds ? { kinds } : {}) };
}

let o: ChaosOptions;
try {
  o = options();
} catch (err) {
  process.stderr.write(`test:chaos: ${(err as Error).message}\nusage: npm run test:chaos -- --seconds S --seed N [--managers 3|5] [--faults ${FAULT_KINDS.join(',')}]\n`);
  process.exit(2);
}
// Keep every daemon's log of the run (host-cluster copies them there at teardown).
const logs = process.env.FLOTILLA_E2E_LOGS ?? join(tmpdir(), `flotilla-chaos-seed${o.seed}-${Date.now()}`);
mkdirSync(logs, { recursive: true });
process.env.FLOTILLA_E2E_LOGS = logs;
try {
  const r = await runChaos(o);
  process.stdout.write(`chaos: daemon logs in ${logs}\n`);
  for (const p of r.problems) process.stdout.write(`FAILED ${p}\n`);
  if (r.problems.length > 0) process.stdout.write(`chaos: seed ${o.seed} failed; run it again with:\n  ${reproduceCommand(o)}\n`);
  process.stdout.write(`${r.line}\n`);
  process.exitCode = r.problems.length > 0 ? 1 : 0;
} catch (err) {
  process.stdout.write(`chaos: seed ${o.seed} could not run: ${(err as Error).stack ?? String(err)}\n  again: ${reproduceCommand(o)}\n`);
  process.exitCode = 1;
}
