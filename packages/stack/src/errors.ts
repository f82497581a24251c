/** Where a value came from: the file, its line (1-based) and the dotted key path. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/**
 * One problem in a stack file. `toString()` is what the CLI prints:
 * `stack.yml:12: services.web.ports[0]: invalid port "x"`.
 */
export class StackFileError extends Error {
  override readonly name = 'StackFileError';
  constructor(
    readonly key: string,
    readonly reason: string,
    readonly position?: Position,
  ) {
    super(formatProblem(key, reason, position));
  }
}

export function formatProblem(key: string, reason: string, position?: Position): string {
  const where = position ? `${position.file}:${position.line}: ` : '';
  return key === '' ? `${where}${reason}` : `${where}${key}: ${reason}`;
}

/** Every problem of a deploy at once (the CLI prints each, one a line). */
export class StackFileErrors extends Error {
  override readonly name = 'StackFileErrors';
  constructor(readonly problems: readonly StackFileError[]) {
    super(problems.map((p) => p.message).join('\n'));
  }
}
