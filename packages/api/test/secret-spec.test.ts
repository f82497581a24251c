import { describe, expect, it } from 'vitest';
import { MAX_SECRET_BYTES, SpecError, validateSecretSpec } from '../src/index.js';

const bytes = (n: number): Buffer => Buffer.alloc(n, 0x61);

describe('validateSecretSpec', () => {
  it('keeps a valid name, labels and value', () => {
    const spec = validateSecretSpec({ annotations: { name: 'db_pass', labels: { env: 'prod' } }, data: Buffer.from('s3cret') });
    expect(spec.annotations).toEqual({ name: 'db_pass', labels: { env: 'prod' } });
    expect(Buffer.from(spec.data).toString()).toBe('s3cret');
  });

  it('accepts exactly 500 KB and refuses one byte more', () => {
    expect(validateSecretSpec({ annotations: { name: 'big' }, data: bytes(MAX_SECRET_BYTES) }).data.length).toBe(MAX_SECRET_BYTES);
    expect(() => validateSecretSpec({ annotations: { name: 'big' }, data: bytes(MAX_SECRET_BYTES + 1) })).toThrow(
      `secret data is ${MAX_SECRET_BYTES + 1} bytes, more than the ${MAX_SECRET_BYTES} bytes (500 KB) allowed`,
    );
  });

  it.each([
    ['empty value', { annotations: { name: 'a' }, data: Buffer.alloc(0) }, 'data', 'secret data must not be empty'],
    ['no name', { data: bytes(1) }, 'annotations.name', 'secret name must not be empty'],
    ['bad name', { annotations: { name: '-x' }, data: bytes(1) }, 'annotations.name', 'secret name "-x" is invalid'],
  ])('refuses %s', (_n, input, field, message) => {
    let caught: unknown;
    try {
      validateSecretSpec(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).field).toBe(field);
    expect((caught as SpecError).message).toContain(message);
  });

  it('never quotes the value in a problem', () => {
    const value = Buffer.from('do-not-print-me');
    expect(() => validateSecretSpec({ annotations: { name: '' }, data: value })).toThrow(/^(?!.*do-not-print-me)/);
  });
});
