// How JavaScript values stand for Go values in a template:
//   undefined        — Go's invalid reflect.Value (a missing map key): prints "<no value>"
//   null             — a nil interface: prints "<nil>"
//   string/number/boolean, arrays (slices), plain objects (maps with string keys)
//   goStruct(...)    — a struct: a missing field is an error, as on docker's list contexts
//   GoMethod         — a method of a struct, called with the action's arguments (`{{.Label "k"}}`)

export const GO_TYPE: unique symbol = Symbol('gotemplate.goType');
/** A struct's own JSON form (Go's MarshalJSON), e.g. docker's list contexts: their fields sorted. */
export const GO_JSON: unique symbol = Symbol('gotemplate.marshalJSON');

export type ParamKind = 'any' | 'value' | 'string' | 'int' | 'bool' | 'stringSlice';

/** A method or function callable from a template, with Go's parameter and result shape. */
export class GoMethod {
  constructor(
    readonly params: readonly ParamKind[],
    readonly fn: (...args: never[]) => unknown,
    /** The kind of a trailing `...` parameter. */
    readonly variadic?: ParamKind,
  ) {}
}

export interface GoStructValue {
  readonly [GO_TYPE]: string;
  readonly [field: string]: unknown;
}

/** A struct-like value: fields and methods by name; `typeName` is what errors call it. */
export function goStruct<T extends Record<string, unknown>>(typeName: string, fields: T): T & GoStructValue {
  return Object.assign(Object.create(null) as object, fields, { [GO_TYPE]: typeName }) as T & GoStructValue;
}

export function isGoStruct(v: unknown): v is GoStructValue {
  return typeof v === 'object' && v !== null && GO_TYPE in v;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isGoStruct(v) && !(v instanceof GoMethod);
}

/** The Go type name errors print for a value. */
export function typeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  // JSON numbers: whole ones are int64, others float64 (a literal 1 in a template is Go's int; here it is int64 too).
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return v.length > 0 && v.every((e) => typeof e === 'string') ? '[]string' : '[]interface {}';
  if (isGoStruct(v)) return v[GO_TYPE];
  if (v instanceof GoMethod || typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isGoStruct(v)) return true;
  if (v instanceof GoMethod || typeof v === 'function') return true;
  return Object.keys(v as object).length > 0;
}

/** Map keys in the order Go visits them (range, printing): sorted. */
export function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The enumerable, non-method fields of a struct, in declaration order. */
export function structFields(v: GoStructValue): Array<[string, unknown]> {
  return Object.entries(v).filter(([, f]) => !(f instanceof GoMethod));
}
