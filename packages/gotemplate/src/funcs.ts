// The functions a template can call: Go's builtins (and, or, not, len, index, slice, eq…,
// print, printf, println, html, js, urlquery, call) and docker's (json, split, join, title,
// lower, upper, pad, truncate), each with the Go parameter types the evaluator checks.
import { marshalGoJson } from './marshal.js';
import { sprint, sprintln } from './print.js';
import { sprintf } from './printf.js';
import { GoMethod, isMap, isTrue, typeName, type ParamKind } from './values.js';

/** An error a function returns; the evaluator reports it as `error calling NAME: …`. */
export class FuncError extends Error {}

export interface FuncDef {
  readonly params: readonly ParamKind[];
  readonly variadic?: ParamKind;
  readonly fn: (...args: never[]) => unknown;
}

export type FuncMap = Readonly<Record<string, FuncDef>>;

const def = <A extends unknown[]>(params: readonly ParamKind[], fn: (...args: A) => unknown, variadic?: ParamKind): FuncDef => ({
  params,
  fn: fn as (...args: never[]) => unknown,
  ...(variadic ? { variadic } : {}),
});

// --- comparisons (Go's eq/ne/lt/le/gt/ge over basic kinds) ---

type Kind = 'bool' | 'number' | 'string' | 'invalid';
const kindOf = (v: unknown): Kind => (typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : 'invalid');

function eq(a: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = kindOf(a);
  for (const b of others) {
    const k2 = kindOf(b);
    if (k1 !== k2) {
      if (a !== undefined && b !== undefined) throw new FuncError('incompatible types for comparison');
      continue;
    }
    if (k1 !== 'invalid') {
      if (a === b) return true;
      continue;
    }
    // Neither is a basic kind: nil compares with nil; slices, maps and structs do not compare.
    const nilA = a === null || a === undefined;
    const nilB = b === null || b === undefined;
    if (nilA || nilB) {
      if (nilA === nilB) return true;
      continue;
    }
    throw new FuncError(`non-comparable type ${typeName(b)}`);
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = kindOf(a);
  const k2 = kindOf(b);
  if (k1 === 'invalid' || k2 === 'invalid' || k1 === 'bool') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) throw new FuncError('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

// --- len, index, slice ---

function length(item: unknown): number {
  if (typeof item === 'string') return Buffer.byteLength(item, 'utf8');
  if (Array.isArray(item)) return item.length;
  if (isMap(item)) return Object.keys(item).length;
  if (item === null) throw new FuncError('len of nil pointer');
  throw new FuncError(`len of type ${typeName(item)}`);
}

function indexArg(index: unknown, cap: number): number {
  if (index === undefined || index === null) throw new FuncError('cannot index slice/array with nil');
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new FuncError(`cannot index slice/array with type ${typeName(index)}`);
  if (index < 0 || index > cap) throw new FuncError(`index out of range: ${index}`);
  return index;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('index of untyped nil');
  let cur: unknown = item;
  for (const i of indexes) {
    if (cur === null) throw new FuncError('index of nil pointer');
    if (typeof cur === 'string' || Array.isArray(cur)) {
      const bytes = typeof cur === 'string' ? Buffer.from(cur, 'utf8') : undefined;
      const len = bytes ? bytes.length : (cur as unknown[]).length;
      const x = indexArg(i, len);
      if (x === len) throw new FuncError(`index out of range: ${x}`);
      cur = bytes ? bytes[x] : (cur as unknown[])[x];
    } else if (isMap(cur)) {
      if (typeof i !== 'string') throw new FuncError(`value has type ${typeName(i)}; should be string`);
      cur = Object.hasOwn(cur, i) ? cur[i] : null;
    } else {
      throw new FuncError(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  if (typeof item === 'string' && indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
  if (typeof item !== 'string' && !Array.isArray(item)) throw new FuncError(`can't slice item of type ${typeName(item)}`);
  const bytes = typeof item === 'string' ? Buffer.from(item, 'utf8') : undefined;
  const len = bytes ? bytes.length : (item as unknown[]).length;
  const idx = [0, len, len];
  indexes.forEach((i, n) => (idx[n] = indexArg(i, len)));
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  return bytes ? bytes.subarray(idx[0], idx[1]).toString('utf8') : (item as unknown[]).slice(idx[0], idx[1]);
}

// --- escapers ---

/** The text html/js/urlquery escape: a lone string as is, otherwise fmt.Sprint of the operands. */
const evalArgs = (args: readonly unknown[]): string => (args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args));

const HTML: Readonly<Record<string, string>> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\0': '\uFFFD' };
const htmlEscape = (s: string): string => s.replace(/["'&<>\0]/g, (c) => HTML[c]!);

const JS: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' };
function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (JS[ch] !== undefined) out += JS[ch];
    else if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (c >= 0x80 && /\p{C}|\p{Zl}|\p{Zp}/u.test(ch)) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes stay, a space becomes "+", the rest %XX. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (fn === undefined || fn === null) throw new FuncError('call of nil');
  if (!(fn instanceof GoMethod)) throw new FuncError(`non-function of type ${typeName(fn)}`);
  if (fn.variadic ? args.length < fn.params.length : args.length !== fn.params.length) {
    throw new FuncError(`wrong number of args: got ${args.length} want ${fn.params.length}`);
  }
  return fn.fn(...(args as never[]));
}

/** Go's builtins. `and`/`or` are evaluated lazily by the evaluator (they short-circuit). */
export const GO_BUILTINS: FuncMap = {
  and: def(['value'], (a: unknown, ...rest: unknown[]) => [a, ...rest].find((v) => !isTrue(v)) ?? rest[rest.length - 1] ?? a, 'value'),
  or: def(['value'], (a: unknown, ...rest: unknown[]) => [a, ...rest].find((v) => isTrue(v)) ?? rest[rest.length - 1] ?? a, 'value'),
  not: def(['value'], (a: unknown) => !isTrue(a)),
  len: def(['value'], length),
  index: def(['value'], index, 'value'),
  slice: def(['value'], slice, 'value'),
  call: def(['value'], call, 'value'),
  html: def([], (...a: unknown[]) => htmlEscape(evalArgs(a)), 'any'),
  js: def([], (...a: unknown[]) => jsEscape(evalArgs(a)), 'any'),
  urlquery: def([], (...a: unknown[]) => queryEscape(evalArgs(a)), 'any'),
  print: def([], (...a: unknown[]) => sprint(a), 'any'),
  printf: def(['string'], (f: string, ...a: unknown[]) => sprintf(f, a), 'any'),
  println: def([], (...a: unknown[]) => sprintln(a), 'any'),
  eq: def(['value'], eq, 'value'),
  ne: def(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: def(['value', 'value'], lt),
  le: def(['value', 'value'], (a: unknown, b: unknown) => lt(a, b) || eq(a, b)),
  gt: def(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b) && !eq(a, b)),
  ge: def(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
};

/** strings.Title: upper-case the first letter after each separator (not a letter, digit or _). */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const separator = /[\x00-\x7f]/.test(prev) ? !/[0-9A-Za-z_]/.test(prev) : !/[\p{L}\p{Nd}]/u.test(prev) && /\s/u.test(prev);
    out += separator ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** Go's strings.Split: an empty separator splits into characters. */
const split = (s: string, sep: string): string[] => (sep === '' ? [...s] : s.split(sep));

/** docker's template functions (github.com/docker/cli/templates). */
export const DOCKER_FUNCS: FuncMap = {
  json: def(['any'], (v: unknown) => marshalGoJson(v, { escapeHtml: false })),
  split: def(['string', 'string'], split),
  join: def(['stringSlice', 'string'], (elems: string[] | null, sep: string) => (elems ?? []).join(sep)),
  title: def(['string'], title),
  lower: def(['string'], (s: string) => s.toLowerCase()),
  upper: def(['string'], (s: string) => s.toUpperCase()),
  pad: def(['string', 'int', 'int'], (s: string, prefix: number, suffix: number) => (s === '' ? s : ' '.repeat(Math.max(0, prefix)) + s + ' '.repeat(Math.max(0, suffix)))),
  truncate: def(['string', 'int'], (s: string, n: number) => {
    const bytes = Buffer.from(s, 'utf8');
    return bytes.length < n ? s : bytes.subarray(0, Math.max(0, n)).toString('utf8');
  }),
};
