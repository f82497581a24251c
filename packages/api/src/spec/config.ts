import type { ConfigSpec } from '../gen/flotilla/config.js';
import { Problems, type SpecInput } from './problems.js';
import { checkAnnotations, type Checked } from './service.js';

/** Docker's limit on a config's data (1000 KiB). */
export const MAX_CONFIG_BYTES = 1000 * 1024;

/** Validates a ConfigSpec as `config create` sends it: a valid name and 1 byte to 1000 KiB of data. */
export function validateConfigSpec(input: SpecInput<ConfigSpec>): ConfigSpec {
  const { spec, problems } = checkConfigSpec(input);
  if (problems[0]) throw problems[0];
  return spec;
}

export function checkConfigSpec(input: SpecInput<ConfigSpec>): Checked<ConfigSpec> {
  const p = new Problems();
  const annotations = checkAnnotations(p, input.annotations, 'config');
  const data = input.data ?? Buffer.alloc(0);
  if (data.length === 0) p.add('data', 'config data must not be empty');
  else if (data.length > MAX_CONFIG_BYTES) p.add('data', `config data is ${data.length} bytes, more than the ${MAX_CONFIG_BYTES} bytes (1000 KiB) allowed`);
  return { spec: { annotations, data: Buffer.from(data) }, problems: p.list };
}
