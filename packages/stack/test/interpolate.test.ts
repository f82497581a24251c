import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpolateString } from '../src/index.js';

describe('interpolation', () => {
  const env = { SET: 'value', EMPTY: '' };
  it.each([
    ['${SET}', 'value'],
    ['$SET/x', 'value/x'],
    ['${UNSET}', ''],
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${UNSET-dflt}', 'dflt'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET:-${SET}}', 'value'],
    ['$$SET', '$SET'],
    ['a$${b}', 'a${b}'],
  ])('%s -> %s', (text, out) => {
    expect(interpolateString(text, env)).toBe(out);
  });

  it.each([
    ['${UNSET:?needed}', /required variable UNSET is missing a value: needed/],
    ['${EMPTY:?}', /required variable EMPTY is missing a value: variable EMPTY is not set or empty/],
    ['${UNSET?}', /required variable UNSET/],
    ['${SET', /missing "}"/],
    ['$ alone', /must be followed by a name/],
    ['${1BAD}', /does not start with a variable name/],
  ])('%s is refused', (text, message) => {
    expect(() => interpolateString(text, env)).toThrow(message);
  });

  // Properties over arbitrary text and variable values.
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
  it('text without "$" is left alone', () => {
    fc.assert(fc.property(fc.string().filter((s) => !s.includes('$')), (s) => interpolateString(s, env) === s));
  });
  it('any text with "$" doubled comes back as written', () => {
    fc.assert(fc.property(fc.string(), (s) => interpolateString(s.replace(/\$/g, '$$$$'), {}) === s));
  });
  it('${VAR:-default} is the value when set and not empty, else the default', () => {
    fc.assert(
      fc.property(name, fc.option(fc.string(), { nil: undefined }), fc.string().filter((s) => !/[$}]/.test(s)), (v, value, dflt) => {
        const out = interpolateString(`\${${v}:-${dflt}}`, value === undefined ? {} : { [v]: value });
        return out === (value === undefined || value === '' ? dflt : value);
      }),
    );
  });
  it('a value is never interpolated again (no injection through variables)', () => {
    fc.assert(fc.property(name, fc.string(), (v, value) => interpolateString(`\${${v}}`, { [v]: value }) === value));
  });
});
