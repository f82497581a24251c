// encoding/json's Marshal and MarshalIndent for template values: the `json` function and
// inspect output print what Go prints. Objects keep their key order (build maps sorted, as Go
// sorts map keys); bytes are base64; `<`, `>` and `&` are escaped unless escapeHtml is false.
import { GO_JSON, isGoStruct, structFields, GoMethod } from './values.js';

export interface MarshalOptions {
  /** MarshalIndent's indent ("    " for docker inspect); none = compact. */
  indent?: string;
  /** Go's default (json.Marshal) escapes <, > and &; docker's `json` template function does not. */
  escapeHtml?: boolean;
}

function quote(s: string, escapeHtml: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (c >= 0xd800 && c <= 0xdbff) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        out += ch + s[i + 1]!;
        i++;
      } else out += '\\ufffd';
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x2028 || c === 0x2029 || (escapeHtml && (ch === '<' || ch === '>' || ch === '&'))) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function number(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`json: unsupported value: ${n}`);
  return JSON.stringify(n);
}

export function marshalGoJson(value: unknown, opts: MarshalOptions = {}): string {
  const escapeHtml = opts.escapeHtml ?? true;
  const indent = opts.indent;
  const write = (v: unknown, depth: number): string => {
    if (v === undefined || v === null || v instanceof GoMethod || typeof v === 'function') return 'null';
    if (typeof v === 'string') return quote(v, escapeHtml);
    if (typeof v === 'number') return number(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return quote(Buffer.from(v).toString('base64'), escapeHtml);
    if (isGoStruct(v)) {
      const custom = (v as { [GO_JSON]?: () => unknown })[GO_JSON];
      return write(custom ? custom() : Object.fromEntries(structFields(v)), depth);
    }
    const nl = indent === undefined ? '' : `\n${indent.repeat(depth + 1)}`;
    const close = indent === undefined ? '' : `\n${indent.repeat(depth)}`;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${v.map((e) => nl + write(e, depth + 1)).join(',')}${close}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, e]) => e !== undefined);
    if (entries.length === 0) return '{}';
    const sep = indent === undefined ? ':' : ': ';
    return `{${entries.map(([k, e]) => nl + quote(k, escapeHtml) + sep + write(e, depth + 1)).join(',')}${close}}`;
  };
  return write(value, 0);
}
