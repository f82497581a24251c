// The evaluator: walks a parsed template over a value as Go's text/template/exec.go does —
// pipelines pass their value as the last argument of the next command, fields resolve on
// maps and structs, variables live in scopes that end with their control structure — and fails
// with Go's words and place: `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type string`.
import type { BranchNode, ChainNode, CommandNode, FieldNode, IdentifierNode, ListNode, Node, PipeNode, RangeNode, TemplateNode, VariableNode } from './ast.js';
import { nodeString } from './ast.js';
import { FuncError, GO_BUILTINS, type FuncDef, type FuncMap } from './funcs.js';
import { formatValue } from './print.js';
import { GoMethod, isGoStruct, isMap, isTrue, sortedKeys, typeName, type ParamKind } from './values.js';

export class TemplateExecError extends Error {
  override readonly name = 'TemplateExecError';
}

/** Go's Option("missingkey=…"): what a missing map key gives. */
export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecContext {
  readonly text: string;
  readonly parseName: string;
  readonly defined: ReadonlyMap<string, ListNode>;
  readonly funcs: FuncMap;
  readonly missingKey: MissingKey;
}

const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

class BreakSignal {}
class ContinueSignal {}

/** Go's limit is 100000 nested {{template}} calls; a JavaScript stack holds fewer. */
const MAX_DEPTH = 1000;

export function execute(ctx: ExecContext, name: string, root: ListNode, data: unknown): string {
  const out: string[] = [];
  new State(ctx, name, out, [{ name: '$', value: data }], 0).walk(data, root);
  return out.join('');
}

interface Variable {
  name: string;
  value: unknown;
}

class State {
  private node: Node | undefined;
  /** Dot is an element of a slice or map of interface{} (a range element): errors call its type "interface {}". */
  private dotIsInterface = false;

  constructor(
    private readonly ctx: ExecContext,
    private readonly name: string,
    private readonly out: string[],
    private readonly vars: Variable[],
    private readonly depth: number,
  ) {}

  private at(node: Node): void {
    this.node = node;
  }

  private errorf(message: string): never {
    if (!this.node) throw new TemplateExecError(`template: ${this.name}: ${message}`);
    const before = this.ctx.text.slice(0, this.node.pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = Buffer.byteLength(nl < 0 ? before : before.slice(nl + 1), 'utf8');
    throw new TemplateExecError(`template: ${this.ctx.parseName}:${line}:${col}: executing ${JSON.stringify(this.name)} at <${nodeString(this.node)}>: ${message}`);
  }

  // --- variables ---

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n]!.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  // --- walking ---

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, value);
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'if':
      case 'with':
        return this.walkIfOrWith(node.kind, dot, node);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(kind: 'if' | 'with', dot: unknown, n: BranchNode): void {
    const mark = this.mark();
    const savedIface = this.dotIsInterface;
    try {
      const val = this.evalPipeline(dot, n.pipe);
      if (isTrue(val)) {
        // with's dot is the pipeline's value, which has its concrete type.
        if (kind === 'with') this.dotIsInterface = false;
        this.walk(kind === 'with' ? val : dot, n.list);
      } else if (n.elseList) this.walk(dot, n.elseList);
    } finally {
      this.dotIsInterface = savedIface;
      this.pop(mark);
    }
  }

  private walkRange(dot: unknown, r: RangeNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const oneIteration = (key: unknown, elem: unknown): boolean => {
        if (r.pipe.decl.length > 0) this.setTopVar(1, elem);
        if (r.pipe.decl.length > 1) this.setTopVar(2, key);
        const savedIface = this.dotIsInterface;
        this.dotIsInterface = true;
        try {
          this.walk(elem, r.list);
        } catch (signal) {
          if (signal instanceof BreakSignal) return false;
          if (!(signal instanceof ContinueSignal)) throw signal;
        } finally {
          this.dotIsInterface = savedIface;
          this.pop(mark);
        }
        return true;
      };
      if (Array.isArray(val) && val.length > 0) {
        for (let i = 0; i < val.length; i++) if (!oneIteration(i, val[i])) break;
        return;
      }
      if (isMap(val) && Object.keys(val).length > 0) {
        for (const k of sortedKeys(val)) if (!oneIteration(k, val[k])) break;
        return;
      }
      if (val !== undefined && !Array.isArray(val) && !isMap(val)) this.errorf(`range can't iterate over ${formatValue(val)}`);
      if (r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.ctx.defined.get(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    new State(this.ctx, t.name, this.out, [{ name: '$', value: newDot }], this.depth + 1).walk(newDot, tree);
  }

  private printValue(n: Node, v: unknown): void {
    this.at(n);
    if (v instanceof GoMethod || typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type func`);
    this.out.push(v === undefined ? '<no value>' : formatValue(v));
  }

  // --- evaluation ---

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go digs into an interface{} result: a nil one becomes the invalid value ("<no value>").
      if (value === null) value = undefined;
    }
    if (value === MISSING) value = undefined;
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: readonly Node[] | undefined, final: Final): void {
    if ((args && args.length > 1) || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args![0]!)}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
      default:
        break;
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // falls through (errorf never returns)
      case 'number':
        return first.value;
      case 'string':
        return first.text;
      default:
        this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly Node[] | undefined, final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final, this.dotIsInterface);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly Node[] | undefined, final: Final): unknown {
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, variable: VariableNode, args: readonly Node[] | undefined, final: Final): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  /** `receiverIsInterface`: the receiver came out of a map or slice of interface{} (see dotIsInterface). */
  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: readonly string[], args: readonly Node[] | undefined, final: Final, receiverIsInterface = false): unknown {
    let r = receiver;
    let iface = receiverIsInterface;
    for (let i = 0; i < ident.length - 1; i++) {
      const fromMap = isMap(r);
      r = this.evalField(dot, ident[i]!, node, undefined, MISSING, r, iface);
      iface = fromMap;
    }
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, r, iface);
  }

  private evalField(dot: unknown, fieldName: string, node: Node, args: readonly Node[] | undefined, final: Final, receiver: unknown, receiverIsInterface = false): unknown {
    if (receiver === undefined) {
      if (this.ctx.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    if (isGoStruct(receiver) && Object.hasOwn(receiver, fieldName)) {
      const field = receiver[fieldName];
      if (field instanceof GoMethod) return this.evalCall(dot, field, false, node, fieldName, args, final);
      if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return field;
    }
    if (isMap(receiver)) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (Object.hasOwn(receiver, fieldName)) return receiver[fieldName];
      if (this.ctx.missingKey === 'error') this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
      return this.ctx.missingKey === 'zero' ? null : undefined;
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${receiverIsInterface ? 'interface {}' : typeName(receiver)}`);
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: Node, args: readonly Node[] | undefined, final: Final): unknown {
    this.at(node);
    const name = node.ident;
    const builtin = this.ctx.funcs[name] === undefined ? GO_BUILTINS[name] : undefined;
    const fn = this.ctx.funcs[name] ?? builtin;
    if (!fn) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, builtin !== undefined, cmd, name, args, final);
  }

  /** Calls a function or method: checks the argument count and types, then reports its error as Go does. */
  private evalCall(dot: unknown, fn: FuncDef | GoMethod, isBuiltin: boolean, node: Node, name: string, argNodes: readonly Node[] | undefined, final: Final): unknown {
    const args = argNodes ? argNodes.slice(1) : [];
    const numIn = args.length + (final !== MISSING ? 1 : 0);
    const params = fn.params;
    const variadic = fn.variadic;
    if (variadic) {
      if (numIn < params.length) this.errorf(`wrong number of args for ${name}: want at least ${params.length} got ${args.length}`);
    } else if (numIn !== params.length) {
      this.errorf(`wrong number of args for ${name}: want ${params.length} got ${numIn}`);
    }
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const a of args) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: unknown[] = [];
    args.forEach((a, i) => argv.push(this.evalArg(dot, i < params.length ? params[i] : variadic, a)));
    if (final !== MISSING) {
      const kind = numIn - 1 < params.length ? params[numIn - 1] : variadic;
      argv.push(this.validateType(final, kind));
    }
    try {
      return fn.fn(...(argv as never[]));
    } catch (err) {
      if (err instanceof FuncError) {
        this.at(node);
        this.errorf(`error calling ${name}: ${err.message}`);
      }
      throw err;
    }
  }

  /** Go's validateType: a computed value against a parameter type. */
  private validateType(value: unknown, kind: ParamKind | undefined): unknown {
    if (kind === undefined || kind === 'value') return value;
    if (value === undefined) {
      if (kind === 'any' || kind === 'stringSlice') return null;
      this.errorf(`invalid value; expected ${goTypeOf(kind)}`);
    }
    if (kind === 'any') return value;
    const ok =
      (kind === 'string' && typeof value === 'string') ||
      (kind === 'bool' && typeof value === 'boolean') ||
      (kind === 'int' && typeof value === 'number' && Number.isInteger(value)) ||
      (kind === 'stringSlice' && (value === null || (Array.isArray(value) && value.every((e) => typeof e === 'string'))));
    if (!ok) this.errorf(`wrong type for value; expected ${goTypeOf(kind)}; got ${typeName(value)}`);
    return value;
  }

  private evalArg(dot: unknown, kind: ParamKind | undefined, n: Node): unknown {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, kind);
      case 'nil':
        if (kind === 'any' || kind === 'stringSlice') return null;
        this.errorf(`cannot assign nil to ${goTypeOf(kind ?? 'value')}`);
      // falls through (errorf never returns)
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), kind);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, undefined, MISSING), kind);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), kind);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, undefined, MISSING), kind);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, undefined, MISSING), kind);
      default:
        break;
    }
    switch (kind) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      // falls through
      case 'int':
        if (n.kind === 'number' && n.isInt) return n.value;
        this.errorf(`expected integer; found ${nodeString(n)}`);
      // falls through
      case 'string':
        if (n.kind === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      // falls through
      case 'stringSlice':
        this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
      // falls through
      default:
        if (n.kind === 'bool') return n.value;
        if (n.kind === 'number') return n.value;
        if (n.kind === 'string') return n.text;
        this.errorf(`can't handle ${nodeString(n)} for arg of type ${goTypeOf(kind ?? 'value')}`);
    }
  }
}

function goTypeOf(kind: ParamKind): string {
  switch (kind) {
    case 'any':
      return 'interface {}';
    case 'value':
      return 'reflect.Value';
    case 'stringSlice':
      return '[]string';
    default:
      return kind;
  }
}
