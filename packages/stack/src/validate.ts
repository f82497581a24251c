// Checks a merged compose tree against COMPOSE_SCHEMA: unknown keys, wrong types, keys newer than
// the file's format version, and keys a stack cannot honour are problems; keys docker's stack
// deploy ignores are collected so the CLI can say so ("Ignoring unsupported options: build").
import type { StackFileError } from './errors.js';
import { COMPOSE_SCHEMA, type Prop, type Schema } from './schema.js';
import type { Path } from './source.js';

export interface ValidationResult {
  problems: StackFileError[];
  /** Service keys docker ignores for stacks, sorted. */
  unsupported: string[];
  /** Deprecated service keys, sorted. */
  deprecated: string[];
}

export type Where = (path: Path, reason: string) => StackFileError;

/** "3.4" -> 4; the file's format minor version (no version: the newest, 3.9). */
export function formatMinor(version: unknown): number | undefined {
  if (version === undefined) return 9;
  const text = typeof version === 'number' ? (Number.isInteger(version) ? `${version}` : `${version}`) : String(version);
  const m = /^3(?:\.(\d))?$/.exec(text.trim());
  if (!m) return undefined;
  return m[1] === undefined ? 0 : Number(m[1]);
}

export function validateCompose(tree: unknown, where: Where): ValidationResult {
  const problems: StackFileError[] = [];
  const unsupported = new Set<string>();
  const deprecated = new Set<string>();
  const root = (tree ?? {}) as Record<string, unknown>;
  const minor = formatMinor(root['version']);
  if (minor === undefined) {
    problems.push(where(['version'], `unsupported Compose file version: ${String(root['version'])} (a stack file must be version 3.0 to 3.9)`));
    return { problems, unsupported: [], deprecated: [] };
  }

  const check = (value: unknown, schema: Schema, path: Path): boolean => {
    switch (schema.k) {
      case 'any':
        return true;
      case 'str':
        return typeof value === 'string';
      case 'int':
        return typeof value === 'number' && Number.isInteger(value);
      case 'num':
        return typeof value === 'number';
      case 'bool':
        return typeof value === 'boolean';
      case 'scalar':
        return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
      case 'null':
        return value === null;
      case 'list':
        if (!Array.isArray(value)) return false;
        value.forEach((item, i) => expect(item, schema.of, [...path, i]));
        return true;
      case 'or':
        // The first alternative whose outer type fits decides, so nested problems are reported precisely.
        for (const alt of schema.of) if (alt.k !== 'obj' && alt.k !== 'list' && alt.k !== 'or' && check(value, alt, path)) return true;
        for (const alt of schema.of) if ((alt.k === 'obj' || alt.k === 'list' || alt.k === 'or') && outerFits(value, alt)) return check(value, alt, path);
        return false;
      case 'obj': {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
        for (const [key, v] of Object.entries(value)) {
          const at = [...path, key];
          if (key.startsWith('x-') && minor >= 4) continue;
          const prop: Prop | undefined = schema.props[key] ?? (schema.each ? { s: schema.each } : undefined);
          if (!prop) {
            problems.push(where(at, `${describe(path)} Additional property ${key} is not allowed`));
            continue;
          }
          if (prop.since && minor < Number(prop.since.split('.')[1])) {
            problems.push(where(at, `${key} needs compose file format ${prop.since} or later (this file is ${minor === 0 ? '3' : `3.${minor}`})`));
            continue;
          }
          if (prop.ignored) {
            (prop.ignored === 'deprecated' ? deprecated : unsupported).add(key);
            continue;
          }
          if (prop.refused) {
            problems.push(where(at, `not supported yet: ${prop.refused}`));
            continue;
          }
          expect(v, prop.s, at);
        }
        return true;
      }
    }
  };

  const expect = (value: unknown, schema: Schema, path: Path): void => {
    if (!check(value, schema, path)) problems.push(where(path, `must be ${typeName(schema)} (got ${shown(value)})`));
  };

  expect(root, COMPOSE_SCHEMA, []);
  return { problems, unsupported: [...unsupported].sort(), deprecated: [...deprecated].sort() };
}

function describe(path: Path): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}

function outerFits(value: unknown, s: Schema): boolean {
  switch (s.k) {
    case 'list':
      return Array.isArray(value);
    case 'obj':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'or':
      return s.of.some((alt) => outerFits(value, alt));
    default:
      return s.k === 'any' || (value !== null && typeof value !== 'object') || (s.k === 'null' && value === null);
  }
}

function typeName(s: Schema): string {
  switch (s.k) {
    case 'str':
      return 'a string';
    case 'int':
      return 'an integer';
    case 'num':
      return 'a number';
    case 'bool':
      return 'a boolean';
    case 'scalar':
      return 'a string, number or boolean';
    case 'null':
      return 'null';
    case 'any':
      return 'anything';
    case 'list':
      return 'a list';
    case 'obj':
      return 'a mapping';
    case 'or':
      return s.what;
  }
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
