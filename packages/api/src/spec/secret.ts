import type { SecretSpec } from '../gen/flotilla/secret.js';
import { Problems, type SpecInput } from './problems.js';
import { checkAnnotations, type Checked } from './service.js';

/** Docker's limit on a secret's value. */
export const MAX_SECRET_BYTES = 500 * 1024;

/**
 * Validates a SecretSpec as `secret create` sends it: a valid name and a value of 1 byte to
 * 500 KiB. Problems never quote the value.
 */
export function validateSecretSpec(input: SpecInput<SecretSpec>): SecretSpec {
  const { spec, problems } = checkSecretSpec(input);
  if (problems[0]) throw problems[0];
  return spec;
}

export function checkSecretSpec(input: SpecInput<SecretSpec>): Checked<SecretSpec> {
  const p = new Problems();
  const annotations = checkAnnotations(p, input.annotations, 'secret');
  const data = input.data ?? Buffer.alloc(0);
  if (data.length === 0) p.add('data', 'secret data must not be empty');
  else if (data.length > MAX_SECRET_BYTES) p.add('data', `secret data is ${data.length} bytes, more than the ${MAX_SECRET_BYTES} bytes (500 KB) allowed`);
  return { spec: { annotations, data }, problems: p.list };
}
