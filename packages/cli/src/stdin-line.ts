import { createInterface } from 'node:readline';

/**
 * The first line of standard input, terminal or pipe, or undefined when it ends (or is closed)
 * before one arrives. Standard input is released afterwards so the process can exit.
 */
export function readStdinLine(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      process.stdin.pause();
      if (!answered) resolve(undefined);
    });
  });
}
