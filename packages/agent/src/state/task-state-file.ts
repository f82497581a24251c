import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Task, TaskState, taskStateFromJSON } from '@flotilla/api';

/** The part of a task record that survives a restart of the agent. */
export interface PersistedTask {
  task: Task;
  state: TaskState;
  containerId: string;
  exitCode: number | undefined;
  message: string;
  err: string;
}

interface FileShape {
  version: 1;
  nodeId: string;
  tasks: Array<{ task: unknown; state: string; containerId: string; exitCode?: number; message: string; err: string }>;
}

export const TASK_STATE_FILE = 'assignments.json';

export class TaskStateFileError extends Error {
  constructor(path: string, reason: string, cause?: unknown) {
    super(`reading the agent's task state ${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'TaskStateFileError';
  }
}

/**
 * The agent's assignments and how far it got with each, in `<dataDir>/assignments.json`.
 * Written atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves
 * the old file or the new one, never half of one. Saves are coalesced: while one is being
 * written, later calls only make sure one more follows with the newest state.
 */
export class TaskStateFile {
  readonly path: string;
  private writing: Promise<void> | undefined;
  private next: (() => PersistedTask[]) | undefined;

  constructor(
    dataDir: string,
    private readonly nodeId: string,
  ) {
    this.path = join(dataDir, TASK_STATE_FILE);
  }

  /** What the last agent on this data dir kept; empty when it never wrote the file. */
  async load(): Promise<PersistedTask[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new TaskStateFileError(this.path, (err as Error).message, err);
    }
    let parsed: FileShape;
    try {
      parsed = JSON.parse(text) as FileShape;
    } catch (err) {
      throw new TaskStateFileError(this.path, `not JSON: ${(err as Error).message}`, err);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.tasks)) throw new TaskStateFileError(this.path, 'unknown format (expected version 1)');
    if (parsed.nodeId !== this.nodeId) {
      throw new TaskStateFileError(this.path, `it belongs to node ${JSON.stringify(parsed.nodeId)}, not ${JSON.stringify(this.nodeId)}`);
    }
    return parsed.tasks.map((t) => ({
      task: Task.fromJSON(t.task),
      state: taskStateFromJSON(t.state),
      containerId: t.containerId ?? '',
      exitCode: t.exitCode,
      message: t.message ?? '',
      err: t.err ?? '',
    }));
  }

  /** Saves what `snapshot` returns when the write begins; resolves once it is on disk. */
  save(snapshot: () => PersistedTask[]): Promise<void> {
    this.next = snapshot;
    if (!this.writing) {
      this.writing = this.writeLoop().finally(() => {
        this.writing = undefined;
      });
    }
    return this.writing;
  }

  /** Resolves when no save is in progress. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
  }

  private async writeLoop(): Promise<void> {
    while (this.next) {
      const snapshot = this.next;
      this.next = undefined;
      await this.writeAtomically(this.render(snapshot()));
    }
  }

  private render(tasks: PersistedTask[]): string {
    const shape: FileShape = {
      version: 1,
      nodeId: this.nodeId,
      tasks: tasks.map((t) => ({
        task: Task.toJSON(t.task),
        state: t.state,
        containerId: t.containerId,
        ...(t.exitCode === undefined ? {} : { exitCode: t.exitCode }),
        message: t.message,
        err: t.err,
      })),
    };
    return JSON.stringify(shape, null, 1);
  }

  private async writeAtomically(text: string): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
