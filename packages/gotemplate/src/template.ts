// The public face: parse once, execute over values. `Template.parse(text)` knows docker's
// functions (json, join, …) besides Go's builtins, like docker's templates.Parse.
import type { ListNode } from './ast.js';
import { execute, type MissingKey } from './exec.js';
import { DOCKER_FUNCS, GO_BUILTINS, type FuncMap } from './funcs.js';
import { parseTemplate } from './parser.js';

export interface ParseOptions {
  /** The template's name in errors ("" like docker's). */
  name?: string;
  /** Functions besides Go's builtins; default docker's. */
  funcs?: FuncMap;
}

export interface ExecuteOptions {
  /** Go's missingkey option: "default" prints <no value>, "error" fails (docker inspect's fallback). */
  missingKey?: MissingKey;
  /** Functions that replace the parse-time ones for this run (docker's header functions). */
  funcs?: FuncMap;
}

export class Template {
  private constructor(
    readonly name: string,
    private readonly text: string,
    private readonly root: ListNode,
    private readonly defined: ReadonlyMap<string, ListNode>,
    private readonly funcs: FuncMap,
  ) {}

  /** Parses `text`; throws TemplateParseError with Go's message (`template: :1: …`). */
  static parse(text: string, opts: ParseOptions = {}): Template {
    const name = opts.name ?? '';
    const funcs = opts.funcs ?? DOCKER_FUNCS;
    const { root, defined } = parseTemplate(name, text, (f) => Object.hasOwn(funcs, f) || Object.hasOwn(GO_BUILTINS, f));
    return new Template(name, text, root, defined, funcs);
  }

  /** Runs the template over `data`; throws TemplateExecError with Go's message and position. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    return execute(
      { text: this.text, parseName: this.name, defined: this.defined, funcs: { ...this.funcs, ...opts.funcs }, missingKey: opts.missingKey ?? 'default' },
      this.name,
      this.root,
      data,
    );
  }
}
