// Properties over generated inputs: plain text passes through, any input either parses or
// fails with a Go-style parse error (never another exception), values print and marshal as
// Go does, and trim markers remove exactly the blanks beside them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Template, TemplateExecError, TemplateParseError, marshalGoJson } from '../src/index.js';

describe('template properties', () => {
  it('text without delimiters is copied as it is', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes('{{')), (text) => {
        expect(Template.parse(text).execute({})).toBe(text);
      }),
    );
  });

  it('any input parses or fails with a Go-style parse error, and execution fails only with exec errors', () => {
    const piece = fc.constantFrom('{{', '}}', '{{-', '-}}', ' ', '.', '.A', '$x', ':=', '|', '(', ')', '"s"', '`r`', '1', 'if', 'end', 'else', 'range', 'with', 'json', 'upper', 'nil', 'true', '/*', '*/', ',', '\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        let t: Template;
        try {
          t = Template.parse(text);
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateParseError);
          expect((err as Error).message).toMatch(/^template: :\d+: /);
          return;
        }
        try {
          t.execute({ A: 'a', B: [1, 2] });
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateExecError);
          expect((err as Error).message).toMatch(/^template: (:\d+:\d+: executing "[^"]*" at <.*>: |[^:]*: )/s);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('{{.}} prints a string unchanged and {{json .}} round-trips it', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(Template.parse('{{.}}').execute(s)).toBe(s);
        expect(JSON.parse(Template.parse('{{json .}}').execute(s))).toBe(s.replace(/[\ud800-\udfff]/g, (c, i: number) => (isPaired(s, i) ? c : '\ufffd')));
      }),
    );
  });

  it('{{.K}} on a map gives the value at K, and a missing key <no value>', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), fc.string(), (key, value) => {
        expect(Template.parse(`{{.${key}}}`).execute({ [key]: value })).toBe(value);
        expect(Template.parse(`{{.${key}}}`).execute({})).toBe('<no value>');
      }),
    );
  });

  it('trim markers remove every blank beside them and nothing else', () => {
    const blanks = fc.stringMatching(/^[ \t\r\n]{0,5}$/);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{0,5}$/), blanks, blanks, fc.stringMatching(/^[a-z]{0,5}$/), (before, left, right, after) => {
        expect(Template.parse(`${before}${left}{{- "x" -}}${right}${after}`).execute(null)).toBe(`${before}x${after}`);
        expect(Template.parse(`${before}${left}{{"x"}}${right}${after}`).execute(null)).toBe(`${before}${left}x${right}${after}`);
      }),
    );
  });

  it('marshalGoJson escapes <, > and & by default, keeps key order and is valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const out = marshalGoJson(v);
        expect(out).not.toMatch(/[<>&]/);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(v)));
        expect(marshalGoJson(v, { indent: '    ' })).toBe(JSON.stringify(v, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
      }),
    );
  });
});

function isPaired(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c <= 0xdbff) return (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
  return i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800;
}
