// A pino destination that keeps every JSON line it is given, parsed: tests read back what was
// logged. (No logger is made here, so the bus package's own tests can use it without a cycle.)
import { Writable } from 'node:stream';

export interface LogLines {
  /** Pass as the logger's destination (createLogger({ destination }) or pino(options, destination)). */
  readonly destination: Writable;
  /** Every line so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** The `msg` of every line so far. */
  readonly messages: string[];
}

export function logLines(): LogLines {
  const lines: Array<Record<string, unknown>> = [];
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const text of String(chunk).split('\n')) {
        if (!text) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        messages.push(String(line.msg));
      }
      done();
    },
  });
  return { destination, lines, messages };
}
