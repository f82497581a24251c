// Go's literal syntax inside actions: quoted and raw strings (strconv.Unquote), character
// constants and numbers (0x/0o/0b, leading-0 octal, `_` separators, floats, exponents).

export class LiteralError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** One character (or escape) at `s[i]` of a literal quoted by `quote`; returns it and the next index. */
function unquoteChar(s: string, i: number, quote: string): { value: string; next: number } {
  const c = s[i];
  if (c === undefined) throw new LiteralError('invalid syntax');
  if (c === quote && quote === "'") throw new LiteralError('invalid syntax');
  if (c !== '\\') {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    return { value: ch, next: i + ch.length };
  }
  const e = s[i + 1];
  if (e === undefined) throw new LiteralError('invalid syntax');
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) return { value: simple, next: i + 2 };
  if (e === quote) return { value: e, next: i + 2 };
  const hexOf = (len: number): { value: string; next: number } => {
    const digits = s.slice(i + 2, i + 2 + len);
    if (digits.length !== len || !/^[0-9a-fA-F]+$/.test(digits)) throw new LiteralError('invalid syntax');
    const code = parseInt(digits, 16);
    if (e !== 'x' && (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))) throw new LiteralError('invalid syntax');
    return { value: e === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code), next: i + 2 + len };
  };
  if (e === 'x') return hexOf(2);
  if (e === 'u') return hexOf(4);
  if (e === 'U') return hexOf(8);
  if (e >= '0' && e <= '7') {
    const digits = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(digits)) throw new LiteralError('invalid syntax');
    const code = parseInt(digits, 8);
    if (code > 255) throw new LiteralError('invalid syntax');
    return { value: String.fromCharCode(code), next: i + 4 };
  }
  throw new LiteralError('invalid syntax');
}

/** strconv.Unquote for "…" and `…` literals. */
export function unquote(literal: string): string {
  const q = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== q) throw new LiteralError('invalid syntax');
  const body = literal.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new LiteralError('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (q !== '"') throw new LiteralError('invalid syntax');
  let out = '';
  for (let i = 0; i < body.length; ) {
    if (body[i] === '\n') throw new LiteralError('invalid syntax');
    if (body[i] === '"') throw new LiteralError('invalid syntax');
    const { value, next } = unquoteChar(body, i, '"');
    out += value;
    i = next;
  }
  return out;
}

export interface GoNumber {
  value: number;
  isInt: boolean;
}

/** A character constant such as 'a' or '\n': its code point. */
export function parseCharConstant(text: string): GoNumber {
  const { value, next } = unquoteChar(text, 1, "'");
  if (text.slice(next) !== "'") throw new LiteralError(`malformed character constant: ${text}`);
  return { value: value.codePointAt(0)!, isInt: true };
}

function parseInteger(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  const prefix = s.slice(0, 2).toLowerCase();
  if (prefix === '0x') [base, digits] = [16, s.slice(2)];
  else if (prefix === '0o') [base, digits] = [8, s.slice(2)];
  else if (prefix === '0b') [base, digits] = [2, s.slice(2)];
  else if (s.length > 1 && s[0] === '0') [base, digits] = [8, s.slice(1)];
  // Underscores only between digits (or after a base prefix), as Go's integer literals allow.
  if (digits === '' || /__|_$/.test(digits) || (digits.startsWith('_') && base === 10)) return undefined;
  const clean = digits.replace(/_/g, '');
  const valid = { 16: /^[0-9a-fA-F]+$/, 10: /^[0-9]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/ }[base as 16 | 10 | 8 | 2];
  if (!valid.test(clean)) return undefined;
  const n = parseInt(clean, base) * sign;
  return Number.isSafeInteger(n) || Math.abs(n) <= 2 ** 64 ? n : undefined;
}

/** A number literal as Go's parser reads it; an integral float without `.eEpP` counts as an int. */
export function parseNumber(text: string): GoNumber {
  if (text.endsWith('i')) throw new LiteralError(`complex numbers are not supported: ${text}`);
  const asInt = parseInteger(text);
  if (asInt !== undefined) return { value: asInt, isInt: true };
  const isHex = /^[+-]?0[xX]/.test(text);
  const body = text.replace(/_/g, '');
  let f: number;
  if (isHex) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(body);
    if (!m) throw new LiteralError(`illegal number syntax: ${JSON.stringify(text)}`);
    const mant = parseInt((m[2] || '0') + (m[3] ?? ''), 16) / 16 ** (m[3]?.length ?? 0);
    f = (m[1] === '-' ? -1 : 1) * mant * 2 ** Number(m[4]);
  } else {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body) || /(^|[^0-9])_|_($|[^0-9])/.test(text)) {
      throw new LiteralError(`illegal number syntax: ${JSON.stringify(text)}`);
    }
    f = Number(body);
  }
  // Go: a float literal that looks like an integer is one too large for int64.
  if (!/[.eEpP]/.test(isHex ? text.slice(2) : text)) throw new LiteralError(`integer overflow: ${JSON.stringify(text)}`);
  const isInt = Number.isInteger(f);
  return { value: f, isInt };
}
