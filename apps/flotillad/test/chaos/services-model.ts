// The services registry as the cluster shows it to its clients, as a sequential specification for
// @flotilla/testkit's linearizability checker: per service name a register of (exists, the value
// of its `chaos` label, replicas). Service names are independent, so each is checked on its own.
import type { Model } from '@flotilla/testkit';

export type ServiceState = { readonly exists: false } | { readonly exists: true; readonly value: string; readonly replicas: number };

export type ServiceInput =
  | { readonly name: string; readonly kind: 'create'; readonly value: string; readonly replicas: number }
  | { readonly name: string; readonly kind: 'update'; readonly value: string }
  | { readonly name: string; readonly kind: 'scale'; readonly replicas: number }
  | { readonly name: string; readonly kind: 'rm' }
  | { readonly name: string; readonly kind: 'read' };

/** create: `ok` or `exists` (name taken); update, scale, rm: `ok` or `missing` (no such service); read: what it saw. */
export type ServiceOutput = 'ok' | 'exists' | 'missing' | ServiceState;

const ABSENT: ServiceState = { exists: false };

function sameState(a: ServiceState, b: ServiceState): boolean {
  if (!a.exists || !b.exists) return a.exists === b.exists;
  return a.value === b.value && a.replicas === b.replicas;
}

/** What `input` does in `state`: the answer it gives and the state after it. */
export function apply(state: ServiceState, input: ServiceInput): { output: ServiceOutput; next: ServiceState } {
  switch (input.kind) {
    case 'create':
      return state.exists ? { output: 'exists', next: state } : { output: 'ok', next: { exists: true, value: input.value, replicas: input.replicas } };
    case 'update':
      return state.exists ? { output: 'ok', next: { ...state, value: input.value } } : { output: 'missing', next: state };
    case 'scale':
      return state.exists ? { output: 'ok', next: { ...state, replicas: input.replicas } } : { output: 'missing', next: state };
    case 'rm':
      return state.exists ? { output: 'ok', next: ABSENT } : { output: 'missing', next: state };
    case 'read':
      return { output: state, next: state };
  }
}

function sameOutput(a: ServiceOutput, b: ServiceOutput): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return sameState(a, b);
}

export function describeState(state: ServiceState): string {
  return state.exists ? `{${state.value}, replicas ${state.replicas}}` : 'absent';
}

function describeOutput(output: ServiceOutput | undefined): string {
  if (output === undefined) return '?';
  return typeof output === 'string' ? output : describeState(output);
}

export function describeInput(input: ServiceInput): string {
  switch (input.kind) {
    case 'create':
      return `create ${input.name} ${input.value} replicas=${input.replicas}`;
    case 'update':
      return `update ${input.name} ${input.value}`;
    case 'scale':
      return `scale ${input.name}=${input.replicas}`;
    case 'rm':
      return `rm ${input.name}`;
    case 'read':
      return `read ${input.name}`;
  }
}

export const servicesModel: Model<ServiceState, ServiceInput, ServiceOutput> = {
  init: () => ABSENT,
  step: (state, input, output) => {
    const { output: expected, next } = apply(state, input);
    if (output !== undefined && !sameOutput(expected, output)) return undefined;
    return next;
  },
  stateKey: (state) => (state.exists ? `1|${state.replicas}|${state.value}` : '0'),
  partition: (input) => input.name,
  describeOperation: (input, output) => `${describeInput(input)} -> ${describeOutput(output)}`,
  describeState,
};
