// The parse tree of a template, node for node as Go's text/template/parse builds it. `String()`
// of a node is what Go prints in an execution error: `executing "" at <.Spec.Name>`.

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | PipeNode
  | CommandNode
  | FieldNode
  | ChainNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | IfNode
  | RangeNode
  | WithNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | EndNode
  | ElseNode;

export interface ListNode { kind: 'list'; pos: number; nodes: Node[] }
export interface TextNode { kind: 'text'; pos: number; text: string }
export interface ActionNode { kind: 'action'; pos: number; line: number; pipe: PipeNode }
export interface PipeNode { kind: 'pipe'; pos: number; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { kind: 'command'; pos: number; args: Node[] }
export interface FieldNode { kind: 'field'; pos: number; ident: string[] }
/** A term followed by fields: `(pipeline).Field`. */
export interface ChainNode { kind: 'chain'; pos: number; node: Node; field: string[] }
export interface IdentifierNode { kind: 'identifier'; pos: number; ident: string }
/** `$x` or `$x.Field.Sub`: ident[0] is the variable. */
export interface VariableNode { kind: 'variable'; pos: number; ident: string[] }
export interface DotNode { kind: 'dot'; pos: number }
export interface NilNode { kind: 'nil'; pos: number }
export interface BoolNode { kind: 'bool'; pos: number; value: boolean }
export interface NumberNode { kind: 'number'; pos: number; text: string; value: number; isInt: boolean }
export interface StringNode { kind: 'string'; pos: number; quoted: string; text: string }
export interface BranchNode { pos: number; line: number; pipe: PipeNode; list: ListNode; elseList: ListNode | undefined }
export interface IfNode extends BranchNode { kind: 'if' }
export interface RangeNode extends BranchNode { kind: 'range' }
export interface WithNode extends BranchNode { kind: 'with' }
export interface TemplateNode { kind: 'template'; pos: number; line: number; name: string; pipe: PipeNode | undefined }
export interface BreakNode { kind: 'break'; pos: number; line: number }
export interface ContinueNode { kind: 'continue'; pos: number; line: number }
/** Only while parsing: `{{end}}` and `{{else}}` close a list. */
export interface EndNode { kind: 'end'; pos: number }
export interface ElseNode { kind: 'else'; pos: number; line: number }

export function nodeString(n: Node): string {
  switch (n.kind) {
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'pipe': {
      const decl = n.decl.length ? `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'chain': {
      const inner = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + n.field.map((f) => `.${f}`).join('');
    }
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'if':
    case 'range':
    case 'with':
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`;
    case 'template':
      return `{{template ${JSON.stringify(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ''}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}
