/** One completed (or unfinished) operation on a single register, with logical invoke/complete times. */
export interface RegisterOp {
  kind: 'put' | 'get';
  /** put: the value written; get: the value read. */
  value: string;
  invoke: number;
  /** Infinity when the client never heard back (a put that may or may not have happened). */
  complete: number;
  id: string;
}

export interface LinearizabilityResult {
  ok: boolean;
  /** States explored, to keep an eye on the search cost. */
  explored: number;
}

/**
 * Wing & Gong style search (with Lowe's memoization, as in Porcupine) for a linearization of
 * a single register's history: an order of the operations that respects real time (an op
 * that completed before another was invoked comes first) in which every get returns the
 * latest put. Unfinished gets should be left out by the caller: their result is unknown.
 */
export function checkRegister(history: RegisterOp[], initial = ''): LinearizabilityResult {
  const ops = [...history].sort((a, b) => a.invoke - b.invoke);
  const n = ops.length;
  const seen = new Set<string>();
  let explored = 0;
  const done: boolean[] = new Array<boolean>(n).fill(false);
  const bits: number[] = new Array<number>(Math.ceil(n / 31) + 1).fill(0);

  const search = (remaining: number, state: string): boolean => {
    if (remaining === 0) return true;
    // An op can go next only if no other pending op completed before it was invoked.
    let minComplete = Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && ops[i]!.complete < minComplete) minComplete = ops[i]!.complete;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const op = ops[i]!;
      if (op.invoke > minComplete) break; // sorted by invoke: no later op qualifies either
      let next: string;
      if (op.kind === 'put') next = op.value;
      else if (op.value === state) next = state;
      else continue;
      done[i] = true;
      bits[Math.floor(i / 31)]! ^= 1 << i % 31;
      const key = `${bits.join(',')}|${next}`;
      if (!seen.has(key)) {
        seen.add(key);
        explored++;
        if (search(remaining - 1, next)) return true;
      }
      done[i] = false;
      bits[Math.floor(i / 31)]! ^= 1 << i % 31;
    }
    return false;
  };

  return { ok: search(n, initial), explored };
}
