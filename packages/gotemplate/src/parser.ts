// Recursive-descent parser over the lexer's items, building the tree Go's text/template/parse
// builds, with Go's checks (functions must exist, variables must be declared, {{break}} only in
// {{range}}, …) and Go's messages: `template: NAME:LINE: function "foo" not defined`.
import type { ActionNode, BranchNode, CommandNode, ListNode, Node, PipeNode, TemplateNode, VariableNode } from './ast.js';
import { nodeString } from './ast.js';
import { isKeyword, lex, type Item, type ItemType } from './lexer.js';
import { LiteralError, parseCharConstant, parseNumber, unquote } from './literals.js';

export class TemplateParseError extends Error {
  override readonly name = 'TemplateParseError';
}

export interface ParsedTemplates {
  /** The main template's tree. */
  root: ListNode;
  /** Trees of {{define}} and {{block}}. */
  defined: Map<string, ListNode>;
}

/** How Go prints an item in "unexpected X in Y". */
function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF';
  if (i.type === 'error') return i.val;
  if (isKeyword(i.type)) return `<${i.val}>`;
  if (i.val.length > 10) return `${goQuote(i.val.slice(0, 10))}...`;
  return goQuote(i.val);
}

/** Go's %q of a string (close enough to strconv.Quote for error messages). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

export function parseTemplate(name: string, text: string, hasFunction: (name: string) => boolean): ParsedTemplates {
  return new Parser(name, text, hasFunction).parse();
}

class Parser {
  private readonly items: Item[];
  private index = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  private readonly defined = new Map<string, ListNode>();

  constructor(
    private readonly name: string,
    text: string,
    private readonly hasFunction: (name: string) => boolean,
  ) {
    this.items = lex(text);
  }

  private errorf(message: string, line = this.current().line): never {
    throw new TemplateParseError(`template: ${this.name}:${line}: ${message}`);
  }

  private current(): Item {
    return this.items[Math.max(0, Math.min(this.index - 1, this.items.length - 1))]!;
  }

  private next(): Item {
    const item = this.items[Math.min(this.index, this.items.length - 1)]!;
    this.index++;
    return item;
  }

  private backup(n = 1): void {
    this.index -= n;
  }

  private peek(): Item {
    return this.items[Math.min(this.index, this.items.length - 1)]!;
  }

  private nextNonSpace(): Item {
    let item = this.next();
    while (item.type === 'space') item = this.next();
    return item;
  }

  private peekNonSpace(): Item {
    const item = this.nextNonSpace();
    this.backup();
    return item;
  }

  private expect(type: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  private unexpected(item: Item, context: string): never {
    if (item.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== item.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (item.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${item.val}${extra}`, item.line);
    }
    this.errorf(`unexpected ${itemString(item)} in ${context}`, item.line);
  }

  parse(): ParsedTemplates {
    const root: ListNode = { kind: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const save = this.index;
        this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition();
          continue;
        }
        this.index = save;
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return { root, defined: this.defined };
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameToken = this.nextNonSpace();
    if (nameToken.type !== 'string' && nameToken.type !== 'rawString') this.unexpected(nameToken, context);
    const name = this.unquoteToken(nameToken);
    this.expect('rightDelim', context);
    const saved = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end.kind !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.defined.set(name, list);
  }

  /** Nodes up to {{end}} or {{else}}, which is returned beside the list. */
  private itemList(): [ListNode, Node] {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    if (token.type === 'text') return { kind: 'text', pos: token.pos, text: token.val };
    if (token.type === 'leftDelim') {
      this.actionLine = token.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    this.unexpected(token, 'input');
  }

  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'block':
        return this.blockControl();
      case 'break':
      case 'continue':
        return this.breakOrContinue(token);
      case 'else':
        return this.elseControl();
      case 'end':
        return { kind: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return { kind: 'if', ...this.parseControl(true, 'if') };
      case 'range':
        return { kind: 'range', ...this.parseControl(false, 'range') };
      case 'template':
        return this.templateControl();
      case 'with':
        return { kind: 'with', ...this.parseControl(false, 'with') };
      default:
        break;
    }
    this.backup();
    const at = this.peek();
    const action: ActionNode = { kind: 'action', pos: at.pos, line: at.line, pipe: this.pipeline('command', 'rightDelim') };
    return action;
  }

  private breakOrContinue(token: Item): Node {
    const word = token.type;
    const after = this.nextNonSpace();
    if (after.type !== 'rightDelim') this.unexpected(after, `{{${word}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
    return { kind: word as 'break' | 'continue', pos: token.pos, line: token.line };
  }

  private elseControl(): Node {
    const peek = this.peekNonSpace();
    // "else if": the "if" is left for parseControl, which reads it as a nested {{if}}.
    if (peek.type === 'if') return { kind: 'else', pos: peek.pos, line: peek.line };
    const token = this.expect('rightDelim', 'else');
    return { kind: 'else', pos: token.pos, line: token.line };
  }

  private parseControl(allowElseIf: boolean, context: 'if' | 'range' | 'with'): BranchNode {
    const savedVars = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let list: ListNode;
      let next: Node;
      try {
        [list, next] = this.itemList();
      } finally {
        if (context === 'range') this.rangeDepth--;
      }
      let elseList: ListNode | undefined;
      if (next.kind === 'else') {
        if (allowElseIf && this.peek().type === 'if') {
          this.next();
          elseList = { kind: 'list', pos: next.pos, nodes: [{ kind: 'if', ...this.parseControl(true, 'if') }] };
        } else {
          [elseList, next] = this.itemList();
          if (next.kind !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = savedVars;
    }
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { kind: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  /** {{block "name" pipeline}} T {{end}} = {{define "name"}} T {{end}}{{template "name" pipeline}}. */
  private blockControl(): TemplateNode {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const saved = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end.kind !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.defined.set(name, list);
    return { kind: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  private parseTemplateName(token: Item, context: string): string {
    if (token.type === 'string' || token.type === 'rawString') return this.unquoteToken(token);
    this.unexpected(token, context);
  }

  private unquoteToken(token: Item): string {
    try {
      return unquote(token.val);
    } catch (err) {
      if (err instanceof LiteralError) this.errorf(err.message, token.line);
      throw err;
    }
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: token.pos, line: token.line, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  /** `$x :=`, `$x =`, or (range only) `$i, $e :=` at the start of a pipeline. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const startIndex = this.index;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        return;
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type;
          if (after === 'variable' || after === 'rightDelim' || after === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      // A plain use of the variable: it is the pipeline's first operand.
      this.index = startIndex;
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]?.kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') this.errorf(`non executable command in pipeline stage ${i + 2}`);
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.backup();
      else if (token.type !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | undefined {
    let node = this.term();
    if (!node) return undefined;
    if (this.peek().type === 'field') {
      const fields: string[] = [];
      const pos = this.peek().pos;
      while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
      switch (node.kind) {
        // As in Go, a chained field or variable takes the position of its second part.
        case 'field':
          node = { kind: 'field', pos, ident: [...node.ident, ...fields] };
          break;
        case 'variable':
          node = { kind: 'variable', pos, ident: [...node.ident, ...fields] };
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
        // falls through (errorf never returns)
        default:
          node = { kind: 'chain', pos, node, field: fields };
      }
    }
    return node;
  }

  private term(): Node | undefined {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!this.hasFunction(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`, token.line);
        return { kind: 'identifier', pos: token.pos, ident: token.val };
      case 'dot':
        return { kind: 'dot', pos: token.pos };
      case 'nil':
        return { kind: 'nil', pos: token.pos };
      case 'variable':
        return this.useVar(token);
      case 'field':
        return { kind: 'field', pos: token.pos, ident: [token.val.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant':
      case 'number':
        try {
          const n = token.type === 'number' ? parseNumber(token.val) : parseCharConstant(token.val);
          return { kind: 'number', pos: token.pos, text: token.val, value: n.value, isInt: n.isInt };
        } catch (err) {
          if (err instanceof LiteralError) this.errorf(err.message, token.line);
          throw err;
        }
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { kind: 'string', pos: token.pos, quoted: token.val, text: this.unquoteToken(token) };
      default:
        this.backup();
        return undefined;
    }
  }

  private useVar(token: Item): VariableNode {
    const ident = token.val.split('.');
    if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${goQuote(ident[0]!)}`, token.line);
    return { kind: 'variable', pos: token.pos, ident };
  }
}
