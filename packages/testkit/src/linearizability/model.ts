// What the linearizability checker needs to know about an object: its sequential specification.

/**
 * How an operation ended, as its client saw it:
 * - `ok`: it returned `output` (which may be a definite refusal such as "not found": that is an
 *   answer the model must explain, not a failure);
 * - `fail`: it is known not to have taken effect (refused before it could apply, never sent);
 *   the checker leaves it out;
 * - `unknown`: no answer (timeout, connection lost): it may have taken effect at any moment after
 *   its invocation, or never; it never returns.
 */
export type Outcome = 'ok' | 'fail' | 'unknown';

export interface Operation<I, O> {
  /** Who issued it (shown in reports). */
  readonly client?: string | number;
  readonly input: I;
  /** The answer; only meaningful when `outcome` is `ok`. */
  readonly output?: O;
  /** When it was invoked, on one clock shared by every client. */
  readonly call: number;
  /** When its answer arrived; ignored unless `outcome` is `ok`. */
  readonly ret?: number;
  readonly outcome: Outcome;
}

/**
 * A sequential specification. `step` is called with `output === undefined` for an operation whose
 * answer is unknown: it must then return the state the operation leads to whatever it would have
 * answered (so an unknown operation is always possible, and taking effect last is the same as
 * never taking effect).
 */
export interface Model<S, I, O> {
  init(): S;
  /** The state after `input` answered `output` in `state`, or undefined if it could not answer that. */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** A string equal for equal states: the memo key. */
  stateKey(state: S): string;
  /**
   * Operations on different partitions never affect each other (different keys of a map): each
   * partition is checked on its own (P-compositionality). Default: one partition.
   */
  partition?(input: I): string;
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}
