/** What a full-screen command (`flotilla top`) needs of the terminal it runs in. */
export interface Terminal {
  /** Raw key presses until the returned function is called (which restores the terminal). */
  keys(onKey: (key: string) => void): () => void;
  size(): { rows: number; cols: number };
  onResize(listener: () => void): () => void;
}

/** The process's own terminal, when both standard input and output are one; else undefined. */
export function processTerminal(): Terminal | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return {
    keys(onKey) {
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      const listener = (chunk: string) => onKey(chunk);
      stdin.on('data', listener);
      stdin.resume();
      return () => {
        stdin.off('data', listener);
        stdin.setRawMode(false);
        stdin.pause();
      };
    },
    size: () => ({ rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 }),
    onResize(listener) {
      process.stdout.on('resize', listener);
      return () => process.stdout.off('resize', listener);
    },
  };
}
