// Every case of fixtures/cases.json against what Go's own text/template printed for it
// (fixtures/expected.json, written by fixtures/gen with Go 1.19 and docker's functions): output,
// parse error and execution error must match Go's byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GoMethod, Template, goStruct } from '../src/index.js';

interface Case {
  name: string;
  template: string;
  data?: unknown;
  dataset?: 'row';
  missingKey?: 'error' | 'zero';
}
interface Expected {
  name: string;
  output?: string;
  parseError?: string;
  execError?: string;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as T;
const cases = read<Case[]>('cases.json');
const expected = new Map(read<Expected[]>('expected.json').map((e) => [e.name, e]));

/** Go decodes JSON objects into maps, whose keys it visits sorted; build the same. */
function asGoMap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asGoMap);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, asGoMap((v as Record<string, unknown>)[k])]));
}

/** The generator's *main.row: two fields, a method without and one with an argument. */
const row = () =>
  goStruct('*main.row', {
    ID: 'abc123',
    Name: 'web',
    Mode: new GoMethod([], () => 'replicated'),
    Label: new GoMethod(['string'], (name: string) => ({ tier: 'front' })[name] ?? ''),
  });

// Where the JavaScript model cannot be Go's, the case says so here (and only here).
const DEVIATIONS: Record<string, { output: string; why: string }> = {
  'join split': {
    output: 'sleep,60 [a b c] b',
    why: 'JSON arrays of strings are []string here; docker templates its typed structs, where join works on Args',
  },
};

describe('Go text/template fixtures', () => {
  it('has an expected result for every case', () => {
    for (const c of cases) expect(expected.has(c.name), c.name).toBe(true);
  });

  for (const c of cases) {
    it(c.name, () => {
      const want = expected.get(c.name)!;
      const data = c.dataset === 'row' ? row() : asGoMap(c.data);
      let parsed: Template;
      try {
        parsed = Template.parse(c.template);
      } catch (err) {
        expect({ parseError: (err as Error).message }).toEqual({ parseError: want.parseError ?? `(Go parsed it; output ${JSON.stringify(want.output ?? want.execError)})` });
        return;
      }
      expect(want.parseError, 'Go refused to parse it').toBeUndefined();
      const deviation = DEVIATIONS[c.name];
      if (deviation) {
        expect(parsed.execute(data, c.missingKey ? { missingKey: c.missingKey } : {})).toBe(deviation.output);
        return;
      }
      if (want.execError !== undefined) {
        expect(() => parsed.execute(data, c.missingKey ? { missingKey: c.missingKey } : {})).toThrow(want.execError);
        return;
      }
      expect(parsed.execute(data, c.missingKey ? { missingKey: c.missingKey } : {})).toBe(want.output);
    });
  }
});
