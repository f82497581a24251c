// docker's inspect output: the objects (in the Engine API's shape, from @flotilla/docker-shape)
// as one JSON array indented by four spaces, or `--format TEMPLATE` run over each object (a
// missing key is an error there, as docker's raw fallback runs with missingkey=error).
import { marshalGoJson } from '@flotilla/gotemplate';
import { CliError } from '../errors.js';
import { parseTemplate, runTemplate } from './list-format.js';

export function renderInspect(objects: readonly unknown[], format?: string): string {
  if (format === undefined || format === '') return `${marshalGoJson(objects, { indent: '    ' })}\n`;
  const t = parseTemplate(format === 'json' ? '{{json .}}' : format);
  return objects.map((o) => `${runTemplate(t, o, { missingKey: 'error' })}\n`).join('');
}

/** docker refuses `--pretty` with `--format` before asking anything. */
export function checkPrettyFormat(opts: { pretty?: boolean; format?: string }): void {
  if (opts.pretty && opts.format !== undefined) throw new CliError('--format is incompatible with human friendly format', 2);
}
