// Closed-loop load generator shared by both sides of the Raft benchmark: `concurrency` workers
// each issue one operation after another for `durationMs`; per-operation latency is recorded.

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  commitsPerS: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runLoad(
  concurrency: number,
  durationMs: number,
  op: (seq: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let seq = 0;
  let errors = 0;
  let firstError: unknown;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const n = seq++;
      const t0 = performance.now();
      try {
        await op(n);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= err;
        if (errors > 100) throw new Error(`too many failed operations; first: ${String(firstError)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  if (errors > 0) console.error(`  ${errors} failed operations; first: ${String(firstError)}`);
  return { ops: latencies.length, errors, seconds, commitsPerS: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'NaN';
}
