// docker's `--format` for lists (docker/cli's formatter.Context): `table` (the command's default
// columns), `table TEMPLATE` (a header row, columns aligned by Go's tabwriter), `json` (one JSON
// object per row) or any TEMPLATE (one line per row, as written). Templates are Go's text/template
// (@flotilla/gotemplate) run over a row context: a struct whose fields are the column values and
// whose methods (`{{.Label "k"}}`) take arguments. `-q` gives the IDs only when no template
// is given, as docker's NewListFormat does.
import { DOCKER_FUNCS, FuncError, GO_JSON, GoMethod, goStruct, Template, TemplateExecError, TemplateParseError, type FuncMap } from '@flotilla/gotemplate';
import { CliError } from '../errors.js';
import { tabwrite } from './tabwriter.js';

/** What a list command offers its templates. */
export interface ListContext<R> {
  /** Go's type name in errors, e.g. `*formatter.serviceContext`. */
  readonly typeName: string;
  /** docker's default table, e.g. `table {{.ID}}\t{{.Name}}`. */
  readonly defaultTable: string;
  /** What `-q` prints: `{{.ID}}` for most lists. */
  readonly quietTemplate?: string;
  /** Header text of each field (docker's header map). */
  readonly headers: Readonly<Record<string, string>>;
  /** The row's fields (strings, booleans) and methods (GoMethod). */
  readonly fields: (row: R) => Record<string, unknown>;
}

export interface ListFormatOptions {
  format?: string | undefined;
  quiet?: boolean | undefined;
}

// docker's templates.HeaderFunctions: the header row keeps each header as it is.
const keep = (v: string): string => v;
const HEADER_FUNCS: FuncMap = {
  json: { params: ['string'], fn: keep as (...args: never[]) => unknown },
  split: { params: ['string', 'string'], fn: keep as (...args: never[]) => unknown },
  join: { params: ['string', 'string'], fn: keep as (...args: never[]) => unknown },
  title: { params: ['string'], fn: keep as (...args: never[]) => unknown },
  lower: { params: ['string'], fn: keep as (...args: never[]) => unknown },
  upper: { params: ['string'], fn: keep as (...args: never[]) => unknown },
  truncate: { params: ['string', 'int'], fn: keep as (...args: never[]) => unknown },
  pad: { params: ['string', 'int', 'int'], fn: keep as (...args: never[]) => unknown },
};

/** The template a `--format`/`-q` pair asks for, and whether it is a table. */
export function chooseFormat(ctx: Pick<ListContext<unknown>, 'defaultTable' | 'quietTemplate'>, opts: ListFormatOptions): { table: boolean; template: string } {
  const source = opts.format ?? '';
  const quiet = ctx.quietTemplate ?? '{{.ID}}';
  if (source === '' || source === 'table') return opts.quiet ? { table: false, template: quiet } : { table: true, template: body(ctx.defaultTable) };
  if (source === 'json') return { table: false, template: '{{json .}}' };
  if (source.startsWith('table')) return { table: true, template: body(source) };
  return { table: false, template: unescape(source) };
}

/** docker's preFormat: drop `table`, trim spaces, and read `\t` and `\n` as tab and newline. */
function body(source: string): string {
  return unescape(source.slice('table'.length).trim());
}
const unescape = (s: string): string => s.replaceAll('\\t', '\t').replaceAll('\\n', '\n');

/** A row as a Go struct: fields in declaration order, methods callable, `{{json .}}` its fields sorted. */
export function rowStruct(typeName: string, fields: Record<string, unknown>): Record<string, unknown> {
  const plain = Object.fromEntries(
    Object.entries(fields)
      .filter(([, v]) => !(v instanceof GoMethod))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return goStruct(typeName, { ...fields, [GO_JSON]: () => plain });
}

export function parseTemplate(text: string): Template {
  try {
    return Template.parse(text);
  } catch (err) {
    if (err instanceof TemplateParseError) throw new CliError(`template parsing error: ${err.message}`, 1);
    throw err;
  }
}

export function runTemplate(t: Template, data: unknown, opts: { missingKey?: 'default' | 'error'; funcs?: FuncMap } = {}): string {
  try {
    return t.execute(data, opts);
  } catch (err) {
    if (err instanceof TemplateExecError || err instanceof FuncError) throw new CliError(`template parsing error: ${err.message}`, 1);
    throw err;
  }
}

/** The list as docker prints it for `--format`/`-q` (default: the command's table). */
export function renderList<R>(ctx: ListContext<R>, rows: readonly R[], opts: ListFormatOptions = {}): string {
  const { table, template } = chooseFormat(ctx, opts);
  const t = parseTemplate(template);
  let text = '';
  for (const row of rows) text += `${runTemplate(t, rowStruct(ctx.typeName, ctx.fields(row)))}\n`;
  if (!table) return text;
  let header = '';
  try {
    header = t.execute({ ...ctx.headers }, { funcs: { ...DOCKER_FUNCS, ...HEADER_FUNCS } });
  } catch {
    // docker ignores a header the template cannot make (a method call on the header map)
  }
  // Go's tabwriter pads an empty last column with spaces; Flotilla's tables never ended in blanks.
  return tabwrite(`${header}\n${text}`)
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
