// Variable substitution as compose does it: ${VAR}, $VAR, ${VAR:-default}, ${VAR-default},
// ${VAR:?error}, ${VAR?error}, ${VAR:+replacement}, ${VAR+replacement}, and $$ for a literal $.
// Applied to every string value (never to keys) before anything else looks at the file.
import { StackFileError } from './errors.js';
import type { Path } from './source.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Substitutes one string; throws an Error with the reason (the caller adds the position). */
export function interpolateString(text: string, env: Environment): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new Error(`invalid interpolation format for ${JSON.stringify(text)}: missing "}"`);
      out += substitute(text.slice(i + 2, end), env, text);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (!m) throw new Error(`invalid interpolation format for ${JSON.stringify(text)}: a "$" must be followed by a name, "{" or "$" (write "$$" for a literal "$")`);
    out += env[m[0]] ?? '';
    i += 1 + m[0].length;
  }
  return out;
}

/** The index of the "}" closing a "${" whose body starts at `from` (nested ${...} allowed in defaults). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '$' && text[j + 1] === '{') {
      depth++;
      j++;
    } else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function substitute(body: string, env: Environment, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new Error(`invalid interpolation format for ${JSON.stringify(whole)}: ${JSON.stringify('${' + body + '}')} does not start with a variable name`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = env[name];
  if (rest === '') return value ?? '';
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) throw new Error(`invalid interpolation format for ${JSON.stringify(whole)}: unexpected ${JSON.stringify(rest)} after ${name}`);
  const arg = () => interpolateString(rest.slice(op.length), env);
  const unsetOrEmpty = value === undefined || value === '';
  switch (op) {
    case ':-':
      return unsetOrEmpty ? arg() : value;
    case '-':
      return value === undefined ? arg() : value;
    case ':?':
      if (unsetOrEmpty) throw new MissingVariable(name, arg() || `variable ${name} is not set or empty`);
      return value;
    case '?':
      if (value === undefined) throw new MissingVariable(name, arg() || `variable ${name} is not set`);
      return value;
    case ':+':
      return unsetOrEmpty ? '' : arg();
    default: // '+'
      return value === undefined ? '' : arg();
  }
}

/** A required variable (`${VAR:?message}`) that is missing. */
export class MissingVariable extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`required variable ${variable} is missing a value: ${message}`);
  }
}

/**
 * Substitutes every string value of a parsed file. `where` turns a path into the position
 * used in the error (the first problem stops: a file with a missing variable is not deployed).
 */
export function interpolateTree(value: unknown, env: Environment, where: (path: Path, reason: string) => StackFileError, path: Array<string | number> = []): unknown {
  if (typeof value === 'string') {
    try {
      return interpolateString(value, env);
    } catch (err) {
      throw where(path, (err as Error).message);
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, env, where, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, env, where, [...path, k]);
    return out;
  }
  return value;
}
