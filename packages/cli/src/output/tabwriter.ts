// Go's text/tabwriter as docker's tables use it (NewWriter(out, 10, 1, 3, ' ', 0)): a cell is
// text ended by a tab; consecutive lines that have a cell in a column form a block whose width
// is its widest cell plus the padding, at least the minimum width. A line's last cell (not ended
// by a tab) is padded only when the block around it is wider. Widths count code points.

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

export const DOCKER_TABLE: TabwriterOptions = { minWidth: 10, padding: 3 };

const width = (s: string): number => [...s].length;

/** Aligns `text` (lines of tab-ended cells) as Go's tabwriter does, then ends with a newline if the text did. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let line = '';
      cells.forEach((cell, j) => {
        line += cell;
        if (j < widths.length) line += ' '.repeat(Math.max(0, widths[j]! - width(cell)));
      });
      out.push(line);
    }
  };

  // Go's Writer.format: recursion over column blocks.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let at = line0; at < line1; at++) {
      if (column >= lines[at]!.length - 1) continue;
      writeLines(start, at);
      start = at;
      let w = opts.minWidth;
      for (; at < line1; at++) {
        const cells = lines[at]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + opts.padding);
      }
      widths.push(w);
      format(start, at);
      widths.pop();
      start = at;
    }
    writeLines(start, line1);
  };
  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
