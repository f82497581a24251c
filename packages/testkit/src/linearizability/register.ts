// A read/write register per key: the smallest useful model, and the one the Raft simulation's KV uses.
import type { Model } from './model.js';

export type RegisterInput = { readonly key: string; readonly kind: 'put'; readonly value: string } | { readonly key: string; readonly kind: 'get' };
/** A put answers nothing of interest; a get answers the value it read. */
export type RegisterOutput = string | undefined;

/** Registers keyed by `input.key`, each starting at `initial`; a get must read the latest put. */
export function registerModel(initial = ''): Model<string, RegisterInput, RegisterOutput> {
  return {
    init: () => initial,
    step: (state, input, output) => {
      if (input.kind === 'put') return input.value;
      // An unknown get is always possible and changes nothing.
      return output === undefined || output === state ? state : undefined;
    },
    stateKey: (state) => state,
    partition: (input) => input.key,
    describeOperation: (input, output) => (input.kind === 'put' ? `put(${input.key}, ${JSON.stringify(input.value)})` : `get(${input.key}) -> ${output === undefined ? '?' : JSON.stringify(output)}`),
    describeState: (state) => JSON.stringify(state),
  };
}
