import { SpecError } from './errors.js';

/** Placement constraint operators, as in docker swarm. */
export type ConstraintOp = '==' | '!=';

/**
 * One parsed placement constraint. `key` is normalised: the fixed part is lower
 * case ("node.labels."), a label name keeps the case the user wrote.
 */
export interface Constraint {
  key: string;
  op: ConstraintOp;
  value: string;
}

/** Keys matched exactly (case-insensitively, like swarm). */
export const CONSTRAINT_KEYS = [
  'node.id',
  'node.hostname',
  'node.role',
  'node.platform.os',
  'node.platform.arch',
] as const;

/** Keys that take a label name after the prefix. */
export const CONSTRAINT_LABEL_PREFIXES = ['node.labels.', 'engine.labels.'] as const;

const NODE_ROLES = ['manager', 'worker'];
// Label names follow docker's label key rules loosely: no spaces, no operators.
const LABEL_NAME = /^[A-Za-z0-9_.\-/]+$/;
// Values may not carry operator characters: "a==b==c" is almost certainly a typo.
const FORBIDDEN_VALUE_CHARS = /[=!]/;

/**
 * Parses `key==value` or `key!=value`. Throws SpecError (field "constraint")
 * naming the whole expression when it cannot be used.
 */
export function parseConstraint(expr: string): Constraint {
  const eq = expr.indexOf('==');
  const ne = expr.indexOf('!=');
  if (eq < 0 && ne < 0) {
    throw new SpecError('constraint', `constraint ${JSON.stringify(expr)} must use == or !=`);
  }
  const op: ConstraintOp = ne >= 0 && (eq < 0 || ne < eq) ? '!=' : '==';
  const at = op === '==' ? eq : ne;
  const rawKey = expr.slice(0, at).trim();
  const value = expr.slice(at + 2).trim();
  const fail = (why: string): never => {
    throw new SpecError('constraint', `constraint ${JSON.stringify(expr)}: ${why}`);
  };

  if (rawKey === '') fail('key is empty');
  const key = normaliseKey(rawKey, fail);
  if (value === '') fail(`value for ${key} is empty`);
  if (FORBIDDEN_VALUE_CHARS.test(value)) fail(`value ${JSON.stringify(value)} must not contain "=" or "!" (only one operator per constraint)`);
  if (/\s/.test(value)) fail(`value ${JSON.stringify(value)} must not contain spaces`);
  if (key === 'node.role' && !NODE_ROLES.includes(value.toLowerCase())) {
    fail(`node.role must be "manager" or "worker", not ${JSON.stringify(value)}`);
  }
  return { key, op, value: key === 'node.role' ? value.toLowerCase() : value };
}

/** Parses every expression; the error's field names the index ("constraints[2]"). */
export function parseConstraints(list: readonly string[]): Constraint[] {
  return list.map((expr, i) => {
    try {
      return parseConstraint(expr);
    } catch (err) {
      if (err instanceof SpecError) throw new SpecError(`constraints[${i}]`, err.message);
      throw err;
    }
  });
}

/** Renders a constraint back to the text form swarm users write. */
export function formatConstraint(c: Constraint): string {
  return `${c.key}${c.op}${c.value}`;
}

function normaliseKey(rawKey: string, fail: (why: string) => never): string {
  const lower = rawKey.toLowerCase();
  if ((CONSTRAINT_KEYS as readonly string[]).includes(lower)) return lower;
  for (const prefix of CONSTRAINT_LABEL_PREFIXES) {
    if (!lower.startsWith(prefix)) continue;
    const label = rawKey.slice(prefix.length);
    if (label === '') fail(`label name after ${JSON.stringify(prefix)} is empty`);
    if (!LABEL_NAME.test(label)) fail(`label name ${JSON.stringify(label)} is invalid`);
    return prefix + label;
  }
  return fail(
    `unknown key ${JSON.stringify(rawKey)} (expected one of ${CONSTRAINT_KEYS.join(', ')}, ` +
      `node.labels.<name>, engine.labels.<name>)`,
  );
}
