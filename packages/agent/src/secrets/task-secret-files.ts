import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TaskSecretsRequest, TaskSecretsResponse, type Task } from '@flotilla/api';
import { request, type BusConnection, type ClusterSubjects, type Logger } from '@flotilla/bus';
import type Docker from 'dockerode';
import { planConfigFiles, planSecretFiles, tmpfsSizeFor } from './secret-mounts.js';

const run = promisify(execFile);

/** Root under which each node keeps one tmpfs per task that uses secrets. */
export const DEFAULT_SECRETS_ROOT = '/run/flotilla/secrets';

export interface TaskSecretFilesOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  nodeId: string;
  /** The agent's live session id (the dispatcher refuses requests without it). */
  sessionId(): string | undefined;
  log: Logger;
  /** Default /run/flotilla/secrets; the node's tmpfs mounts go in <root>/<nodeId>/<taskId>. */
  root?: string;
  requestTimeoutMs?: number;
}

/**
 * A task's secrets as files on a tmpfs of their own (never on disk), bind-mounted read-only
 * into the container. The values are asked of the dispatcher when the container is created
 * and are held nowhere else in the agent; logs name secrets, never values.
 */
export class TaskSecretFiles {
  private readonly dir: string;

  constructor(private readonly opts: TaskSecretFilesOptions) {
    this.dir = join(opts.root ?? DEFAULT_SECRETS_ROOT, opts.nodeId);
  }

  taskDir(taskId: string): string {
    return join(this.dir, taskId);
  }

  /**
   * Fetches the task's secrets and configs, writes them to a fresh tmpfs and returns the
   * container mounts ([] without either). Configs are not secret, but sharing the tmpfs keeps
   * one life cycle for both: written before the container is created, gone with it.
   */
  async prepare(task: Task): Promise<Docker.MountSettings[]> {
    const refs = task.spec?.container?.secrets ?? [];
    const configRefs = task.spec?.container?.configs ?? [];
    if (refs.length === 0 && configRefs.length === 0) return [];
    const plan = planSecretFiles(refs);
    const configPlan = planConfigFiles(configRefs);
    const sessionId = this.opts.sessionId();
    if (!sessionId) throw new Error(`fetching the secrets of task ${task.id}: the agent has no session with the dispatcher`);
    // One value per request: a reply must stay under NATS's 1 MB limit (a secret may be 500 KB, a config 1000 KiB).
    const ask = (secretIds: string[], configIds: string[]) =>
      request(this.opts.nc, this.opts.subjects.dispatcher.secrets(this.opts.nodeId), TaskSecretsRequest, { sessionId, taskId: task.id, secretIds, configIds }, TaskSecretsResponse, {
        timeoutMs: this.opts.requestTimeoutMs ?? 5_000,
      });
    const values = new Map<string, Buffer>();
    for (const secretId of new Set(plan.map((p) => p.secretId))) {
      for (const s of (await ask([secretId], [])).secrets) values.set(s.secretId, s.data);
    }
    const configValues = new Map<string, Buffer>();
    for (const configId of new Set(configPlan.map((p) => p.configId))) {
      for (const c of (await ask([], [configId])).configs) configValues.set(c.configId, c.data);
    }
    const missing = [...plan.filter((p) => !values.has(p.secretId)).map((p) => p.secretId), ...configPlan.filter((p) => !configValues.has(p.configId)).map((p) => p.configId)];
    if (missing.length > 0) throw new Error(`fetching the secrets and configs of task ${task.id}: the dispatcher did not send ${missing.join(', ')}`);
    const dir = this.taskDir(task.id);
    await this.release(task.id); // a leftover from an earlier attempt
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const total = [...values.values(), ...configValues.values()].reduce((n, v) => n + v.length, 0);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsSizeFor(total)},mode=0700,nodev,nosuid,noexec`, 'tmpfs', dir]);
    } catch (err) {
      await rmdir(dir).catch(() => undefined);
      throw new Error(`mounting a tmpfs for the secrets of task ${task.id} at ${dir}: ${(err as Error).message}`, { cause: err });
    }
    try {
      for (const p of plan) {
        const path = join(dir, p.file);
        await writeFile(path, values.get(p.secretId)!, { mode: 0o600 });
        await chown(path, p.uid, p.gid);
        await chmod(path, p.mode);
      }
      for (const p of configPlan) {
        const path = join(dir, p.file);
        await writeFile(path, configValues.get(p.configId)!, { mode: 0o600 });
        await chown(path, p.uid, p.gid);
        await chmod(path, p.mode);
      }
    } catch (err) {
      await this.release(task.id);
      throw new Error(`writing the secrets of task ${task.id}: ${(err as Error).message}`, { cause: err });
    }
    this.opts.log.info({ taskId: task.id, secrets: refs.map((r) => r.secretName), configs: configRefs.map((r) => r.configName), dir }, 'task secrets mounted on tmpfs');
    return [...plan, ...configPlan].map((p) => ({ Type: 'bind', Source: join(dir, p.file), Target: p.target, ReadOnly: true }) as Docker.MountSettings);
  }

  /** Unmounts and removes the task's tmpfs; nothing to do when it has none. */
  async release(taskId: string): Promise<void> {
    const dir = this.taskDir(taskId);
    if (await isMountPoint(dir)) {
      await run('umount', [dir]);
      this.opts.log.info({ taskId, dir }, 'task secrets unmounted');
    }
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Releases the tmpfs of every task not in `keep` (containers gone while the agent was away). */
  async sweep(keep: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const taskId of names) {
      if (keep.has(taskId)) continue;
      await this.release(taskId).catch((err: unknown) => this.opts.log.error({ err, taskId }, 'removing the secrets tmpfs of a finished task failed'));
    }
  }
}

async function isMountPoint(dir: string): Promise<boolean> {
  try {
    await run('mountpoint', ['-q', dir]);
    return true;
  } catch {
    return false;
  }
}
