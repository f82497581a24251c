// fmt.Sprintf for the template function printf: flags (+-# 0 space), width, precision, `*`,
// the verbs users write (v s q d x X o b c U e E f F g G t T %), and fmt's own notes for a
// wrong verb (%!d(string=a)), a missing operand (%!d(MISSING)) and extra ones (%!(EXTRA …)).
import { formatFloat, formatValue, goExponent } from './print.js';
import { isGoStruct, sortedKeys, structFields, typeName } from './values.js';

interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  prec?: number;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function pad(s: string, spec: Spec, zeroOk = false): string {
  const width = spec.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - len);
  if (spec.zero && zeroOk) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(width - len) + s.slice(sign.length);
  }
  return ' '.repeat(width - len) + s;
}

function signed(body: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${body}`;
  if (spec.plus) return `+${body}`;
  if (spec.space) return ` ${body}`;
  return body;
}

function goQuoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function badVerb(verb: string, arg: unknown): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(arg)}=${formatValue(arg)})`;
}

function formatInteger(n: number, verb: string, spec: Spec): string | undefined {
  const negative = n < 0;
  const abs = Math.abs(n);
  let body: string;
  switch (verb) {
    case 'v':
    case 'd':
      body = abs.toFixed(0);
      break;
    case 'b':
      body = abs.toString(2);
      break;
    case 'o':
      body = abs.toString(8);
      if (spec.sharp && body !== '0') body = `0${body}`;
      break;
    case 'O':
      body = `0o${abs.toString(8)}`;
      break;
    case 'x':
      body = `${spec.sharp ? '0x' : ''}${abs.toString(16)}`;
      break;
    case 'X':
      body = `${spec.sharp ? '0X' : ''}${abs.toString(16).toUpperCase()}`;
      break;
    case 'c':
      return pad(String.fromCodePoint(n), spec);
    case 'q':
      return pad(`'${String.fromCodePoint(n).replace(/[\\']/g, '\\$&')}'`, spec);
    case 'U': {
      const u = `U+${abs.toString(16).toUpperCase().padStart(4, '0')}`;
      return pad(spec.sharp ? `${u} '${String.fromCodePoint(n)}'` : u, spec);
    }
    default:
      return undefined;
  }
  if (spec.prec !== undefined) body = body.padStart(spec.prec, '0');
  return pad(signed(body, negative, spec), spec, spec.prec === undefined);
}

function formatFloatVerb(f: number, verb: string, spec: Spec): string | undefined {
  const negative = f < 0 || Object.is(f, -0);
  const abs = Math.abs(f);
  let body: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      if (spec.prec === undefined) body = formatFloat(abs);
      else {
        const p = Math.max(1, spec.prec);
        const e = abs.toExponential(p - 1);
        const exp = Number(e.slice(e.indexOf('e') + 1));
        body = exp < -4 || exp >= p ? goExponent(e.replace(/\.?0+e/, 'e')) : abs.toPrecision(p).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
      }
      if (verb === 'G') body = body.toUpperCase();
      break;
    case 'e':
    case 'E':
      body = goExponent(abs.toExponential(spec.prec ?? 6));
      if (verb === 'E') body = body.toUpperCase();
      break;
    case 'f':
    case 'F':
      body = abs.toFixed(spec.prec ?? 6);
      break;
    default:
      return undefined;
  }
  if (!Number.isFinite(f)) return pad(Number.isNaN(f) ? 'NaN' : signed('Inf', f < 0, { ...spec, plus: true }), spec);
  return pad(signed(body, negative, spec), spec, true);
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  const cut = spec.prec === undefined ? s : [...s].slice(0, spec.prec).join('');
  switch (verb) {
    case 'v':
    case 's':
      return pad(cut, spec);
    case 'q':
      return pad(goQuoteString(cut), spec);
    case 'x':
    case 'X': {
      const hex = [...Buffer.from(cut, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(spec.space ? ' ' : '');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
    }
    default:
      return undefined;
  }
}

/** One operand with one verb, as fmt's printArg does. */
export function formatArg(arg: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(arg === undefined || arg === null ? '<nil>' : typeName(arg), spec);
  if (arg === undefined || arg === null) return verb === 'v' ? pad('<nil>', spec) : badVerb(verb, arg);
  let out: string | undefined;
  if (typeof arg === 'boolean') out = verb === 'v' || verb === 't' ? pad(String(arg), spec) : undefined;
  else if (isInt(arg)) out = formatInteger(arg, verb, spec);
  else if (typeof arg === 'number') out = formatFloatVerb(arg, verb, spec);
  else if (typeof arg === 'string') out = formatString(arg, verb, spec);
  else if (Array.isArray(arg)) return `[${arg.map((e) => formatArg(e, verb, spec)).join(' ')}]`;
  else if (isGoStruct(arg)) return `{${structFields(arg).map(([k, f]) => (spec.plus ? `${k}:` : '') + formatArg(f, verb, spec)).join(' ')}}`;
  else if (typeof arg === 'object') {
    const m = arg as Record<string, unknown>;
    return `map[${sortedKeys(m).map((k) => `${formatArg(k, verb, spec)}:${formatArg(m[k], verb, spec)}`).join(' ')}]`;
  } else out = verb === 'v' ? pad(formatValue(arg), spec) : undefined;
  return out ?? badVerb(verb, arg);
}

export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  const takeInt = (): number | undefined => {
    const a = args[argNum++];
    return isInt(a) ? a : undefined;
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { plus: false, minus: false, sharp: false, zero: false, space: false };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '+') spec.plus = true;
      else if (c === '-') spec.minus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = !spec.minus;
      else if (c === ' ') spec.space = true;
      else break;
    }
    if (format[i] === '*') {
      i++;
      const w = takeInt();
      if (w === undefined) out += '%!(BADWIDTH)';
      else if (w < 0) [spec.minus, spec.width] = [true, -w];
      else spec.width = w;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) [spec.width, i] = [Number(m[0]), i + m[0].length];
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = takeInt();
        if (p === undefined || p < 0) out += '%!(BADPREC)';
        else spec.prec = p;
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++], verb, spec);
  }
  if (argNum < args.length) {
    out += `%!(EXTRA ${args.slice(argNum).map((a) => `${a === undefined || a === null ? '<nil>' : typeName(a)}=${formatValue(a)}`).join(', ')})`;
  }
  return out;
}
