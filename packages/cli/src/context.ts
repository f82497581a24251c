import type { Terminal } from './terminal.js';
import type { ControlApi } from './client.js';
import type { ControlHost } from './host.js';

/** What a command may use; handed in so commands never reach for process globals. */
export interface CommandContext {
  readonly host: ControlHost;
  readonly client: ClientFacts;
  out(text: string): void;
  warn(text: string): void;
  connect(): ControlApi;
  /** stdout is a terminal: progress is redrawn in place instead of printed line by line. */
  readonly tty?: boolean;
  /** One line of standard input (a terminal or a pipe), undefined at end of input. */
  readLine?(): Promise<string | undefined>;
  /** The terminal, when standard input and output are one (full-screen commands: `top`). */
  readonly terminal?: Terminal;
}

export interface ClientFacts {
  readonly version: string;
  readonly runtimeVersion: string;
  readonly os: string;
  readonly arch: string;
}
