// The lexer of Go's text/template: turns a template into items (text, delimiters, and the
// tokens inside actions). It follows Go's rules for trim markers (`{{- ` and ` -}}`), comments
// (`{{/* */}}`), newlines inside actions and what may end a word, so the parser sees exactly the
// token stream Go's parser sees and fails where Go fails, with Go's words.

export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Item {
  readonly type: ItemType;
  /** Byte offset (UTF-16 index here) of the item's start in the template text. */
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const KEYWORDS: ReadonlySet<ItemType> = new Set<ItemType>(['block', 'break', 'continue', 'dot', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with']);
const KEYWORD_BY_WORD: Readonly<Record<string, ItemType>> = {
  '.': 'dot',
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  range: 'range',
  nil: 'nil',
  template: 'template',
  with: 'with',
};

export const isKeyword = (t: ItemType): boolean => KEYWORDS.has(t);

const LEFT = '{{';
const RIGHT = '}}';
const TRIM = '-';
const EOF = '';

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string): boolean => c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
const hasLeftTrimMarker = (s: string): boolean => s.length >= 2 && s[0] === TRIM && isSpace(s[1]!);
const hasRightTrimMarker = (s: string): boolean => s.length >= 2 && isSpace(s[0]!) && s[1] === TRIM;

/** How Go shows a rune in an error: U+0023 '#'. */
export function quoteRune(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return /\p{C}/u.test(c) ? `U+${hex}` : `U+${hex} '${c}'`;
}

/** Lexes the whole template; the last item is 'eof' or 'error'. */
export function lex(input: string): Item[] {
  return new Lexer(input).run();
}

class Lexer {
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private readonly items: Item[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(private readonly input: string) {
    for (let i = 0; i < input.length; i++) if (input[i] === '\n') this.lineStarts.push(i + 1);
  }

  run(): Item[] {
    let state: (() => (() => unknown) | undefined) | undefined = () => this.lexText();
    while (state) state = state() as typeof state;
    return this.items;
  }

  private lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private next(): string {
    if (this.pos >= this.input.length) {
      this.pos = this.input.length + 1; // so backup() after EOF is harmless
      return EOF;
    }
    const c = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.pos += c.length;
    return c;
  }

  private peek(): string {
    if (this.pos >= this.input.length) return EOF;
    return String.fromCodePoint(this.input.codePointAt(this.pos)!);
  }

  private backup(c: string): void {
    this.pos -= c === EOF ? 1 : c.length;
  }

  private emit(type: ItemType): void {
    this.items.push({ type, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.lineOf(this.start) });
    this.start = this.pos;
  }

  private ignore(): void {
    this.start = this.pos;
  }

  private errorf(message: string): undefined {
    this.items.push({ type: 'error', pos: this.start, val: message, line: this.lineOf(this.start) });
    return undefined;
  }

  private lexText(): (() => unknown) | undefined {
    const x = this.input.indexOf(LEFT, this.pos);
    if (x >= 0) {
      let end = x;
      if (hasLeftTrimMarker(this.input.slice(x + LEFT.length))) {
        while (end > this.pos && isSpace(this.input[end - 1]!)) end--;
      }
      this.pos = end;
      if (this.pos > this.start) this.emit('text');
      this.pos = x;
      this.ignore(); // skipped blanks count as consumed
      return () => this.lexLeftDelim();
    }
    this.pos = this.input.length;
    if (this.pos > this.start) this.emit('text');
    this.emit('eof');
    return undefined;
  }

  private lexLeftDelim(): (() => unknown) | undefined {
    this.pos += LEFT.length;
    const trim = hasLeftTrimMarker(this.input.slice(this.pos));
    const afterMarker = trim ? 2 : 0;
    if (this.input.startsWith('/*', this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.ignore();
      return () => this.lexComment();
    }
    this.emit('leftDelim');
    this.pos += afterMarker;
    this.ignore();
    this.parenDepth = 0;
    return () => this.lexInsideAction();
  }

  private lexComment(): (() => unknown) | undefined {
    this.pos += 2;
    const x = this.input.indexOf('*/', this.pos);
    if (x < 0) return this.errorf('unclosed comment');
    this.pos = x + 2;
    const { delim, trimSpaces } = this.atRightDelim();
    if (!delim) return this.errorf('comment ends before closing delimiter');
    this.pos += (trimSpaces ? 2 : 0) + RIGHT.length;
    if (trimSpaces) while (isSpace(this.peek()) && this.peek() !== EOF) this.pos++;
    this.ignore();
    return () => this.lexText();
  }

  private atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    const rest = this.input.slice(this.pos);
    if (hasRightTrimMarker(rest) && rest.startsWith(RIGHT, 2)) return { delim: true, trimSpaces: true };
    if (rest.startsWith(RIGHT)) return { delim: true, trimSpaces: false };
    return { delim: false, trimSpaces: false };
  }

  private lexRightDelim(trimSpaces: boolean): (() => unknown) | undefined {
    if (trimSpaces) {
      this.pos += 2;
      this.ignore();
    }
    this.pos += RIGHT.length;
    this.emit('rightDelim');
    if (trimSpaces) {
      while (this.pos < this.input.length && isSpace(this.input[this.pos]!)) this.pos++;
      this.ignore();
    }
    return () => this.lexText();
  }

  private lexInsideAction(): (() => unknown) | undefined {
    const { delim, trimSpaces } = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return this.lexRightDelim(trimSpaces);
      return this.errorf('unclosed left paren');
    }
    const c = this.next();
    if (c === EOF) return this.errorf('unclosed action');
    if (isSpace(c)) {
      this.backup(c);
      return this.lexSpace();
    }
    switch (c) {
      case '=':
        this.emit('assign');
        return () => this.lexInsideAction();
      case ':':
        if (this.next() !== '=') return this.errorf('expected :=');
        this.emit('declare');
        return () => this.lexInsideAction();
      case '|':
        this.emit('pipe');
        return () => this.lexInsideAction();
      case '"':
        return this.lexQuote();
      case '`':
        return this.lexRawQuote();
      case '$':
        return this.lexFieldOrVariable('variable');
      case "'":
        return this.lexChar();
      case '.': {
        const p = this.peek();
        if (p >= '0' && p <= '9' && p !== EOF) {
          this.backup(c);
          return this.lexNumber();
        }
        return this.lexFieldOrVariable('field');
      }
      case '(':
        this.emit('leftParen');
        this.parenDepth++;
        return () => this.lexInsideAction();
      case ')':
        // Emitted before the check, as Go does: the parser then reports it in its own words.
        this.emit('rightParen');
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf(`unexpected right paren ${quoteRune(c)}`);
        return () => this.lexInsideAction();
      default:
        break;
    }
    if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
      this.backup(c);
      return this.lexNumber();
    }
    if (isAlphaNumeric(c)) {
      this.backup(c);
      return this.lexIdentifier();
    }
    if ((c.codePointAt(0) ?? 0) <= 0x7f && /^[\x20-\x7e]$/.test(c)) {
      this.emit('char');
      return () => this.lexInsideAction();
    }
    return this.errorf(`unrecognized character in action: ${quoteRune(c)}`);
  }

  /** A run of blanks; the blank of a ` -}}` belongs to the delimiter, not to the run. */
  private lexSpace(): (() => unknown) | undefined {
    let numSpaces = 0;
    for (;;) {
      const c = this.peek();
      if (c === EOF || !isSpace(c)) break;
      this.next();
      numSpaces++;
    }
    if (hasRightTrimMarker(this.input.slice(this.pos - 1)) && this.input.startsWith(RIGHT, this.pos + 1)) {
      this.pos--;
      if (numSpaces === 1) return () => this.lexInsideAction();
    }
    this.emit('space');
    return () => this.lexInsideAction();
  }

  private lexIdentifier(): (() => unknown) | undefined {
    for (;;) {
      const c = this.next();
      if (c !== EOF && isAlphaNumeric(c)) continue;
      this.backup(c);
      const word = this.input.slice(this.start, this.pos);
      if (!this.atTerminator()) return this.errorf(`bad character ${quoteRune(this.peek())}`);
      const keyword = KEYWORD_BY_WORD[word];
      if (keyword !== undefined && keyword !== 'dot') this.emit(keyword);
      else if (word === 'true' || word === 'false') this.emit('bool');
      else this.emit('identifier');
      return () => this.lexInsideAction();
    }
  }

  /** `.Field`, `.` alone (dot), `$name`, `$` alone. */
  private lexFieldOrVariable(type: 'field' | 'variable'): (() => unknown) | undefined {
    if (this.atTerminator()) {
      this.emit(type === 'variable' ? 'variable' : 'dot');
      return () => this.lexInsideAction();
    }
    for (;;) {
      const c = this.next();
      if (c !== EOF && isAlphaNumeric(c)) continue;
      this.backup(c);
      break;
    }
    if (!this.atTerminator()) return this.errorf(`bad character ${quoteRune(this.peek())}`);
    this.emit(type);
    return () => this.lexInsideAction();
  }

  /** Whether what follows may end a word: a blank, the end, one of `.,|:()`, or the right delimiter. */
  private atTerminator(): boolean {
    const c = this.peek();
    if (c === EOF || isSpace(c)) return true;
    if ('.,|:()'.includes(c)) return true;
    return this.input.startsWith(RIGHT, this.pos);
  }

  private lexChar(): (() => unknown) | undefined {
    for (;;) {
      let c = this.next();
      if (c === '\\') {
        c = this.next();
        if (c !== EOF && c !== '\n') continue;
      }
      if (c === EOF || c === '\n') return this.errorf('unterminated character constant');
      if (c === "'") break;
    }
    this.emit('charConstant');
    return () => this.lexInsideAction();
  }

  private lexNumber(): (() => unknown) | undefined {
    if (!this.scanNumber()) return this.errorf(`bad number syntax: ${JSON.stringify(this.input.slice(this.start, this.pos))}`);
    this.emit('number');
    return () => this.lexInsideAction();
  }

  private accept(valid: string): boolean {
    const c = this.next();
    if (c !== EOF && valid.includes(c)) return true;
    this.backup(c);
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  /** Go's number syntax: sign, 0x/0o/0b prefixes, `_` separators, fraction, exponent, `i`. */
  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    const c = this.peek();
    if (c !== EOF && isAlphaNumeric(c)) {
      this.next();
      return false;
    }
    return true;
  }

  private lexQuote(): (() => unknown) | undefined {
    for (;;) {
      let c = this.next();
      if (c === '\\') {
        c = this.next();
        if (c !== EOF && c !== '\n') continue;
      }
      if (c === EOF || c === '\n') return this.errorf('unterminated quoted string');
      if (c === '"') break;
    }
    this.emit('string');
    return () => this.lexInsideAction();
  }

  private lexRawQuote(): (() => unknown) | undefined {
    for (;;) {
      const c = this.next();
      if (c === EOF) return this.errorf('unterminated raw quoted string');
      if (c === '`') break;
    }
    this.emit('rawString');
    return () => this.lexInsideAction();
  }
}
