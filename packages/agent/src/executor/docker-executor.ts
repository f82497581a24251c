import type { Task } from '@flotilla/api';
import Docker from 'dockerode';
import { containerCreateOptions, stopGraceMs, withNetworking } from './container-config.js';
import type { FoundContainer } from '../tasks/task-machine.js';
import type { TaskHealth } from '../tasks/task-record.js';
import { LABEL_NODE_ID, LABEL_TASK_ID } from './labels.js';
import { ImagePresence } from './image-presence.js';
import type { TaskSecretFiles } from '../secrets/task-secret-files.js';
import type { TaskPluginVolumes } from '../volumes/plugin-volumes.js';
import { errMessage } from '../error-message.js';
import { isPluginVolume } from '../volumes/plugin-volumes.js';

/** The task failed for a reason the agent must report, not retry (e.g. a missing image). */
export class TaskError extends Error {
  constructor(message: string, readonly taskId: string) {
    super(message);
    this.name = 'TaskError';
  }
}

/** How long a removal someone else started is waited for before asking again. */
const REMOVAL_WAIT_MS = 30_000;

export interface ExitResult {
  exitCode: number;
}

/**
 * Thin edge over the Docker Engine API. Images are never pulled: a task whose image is
 * not on this node fails with an error the user sees in `service ps`.
 */
export class DockerExecutor {
  readonly docker: Docker;

  private secrets: TaskSecretFiles | undefined;
  private volumes: TaskPluginVolumes | undefined;
  private readonly images: ImagePresence<Docker.ImageInspectInfo>;

  constructor(dockerHost: string) {
    this.docker = dockerFromHost(dockerHost);
    this.images = new ImagePresence((image) => this.docker.getImage(image).inspect());
  }

  /** From now on, tasks with secrets get them on a tmpfs bind-mounted into the container. */
  useSecretFiles(secrets: TaskSecretFiles): void {
    this.secrets = secrets;
  }

  /** From now on, volumes with a plugin driver are created and mounted by that plugin. */
  usePluginVolumes(volumes: TaskPluginVolumes): void {
    this.volumes = volumes;
  }

  /** `networking`: the overlay network options of the task (network mode, endpoint, DNS), merged in. */
  async create(task: Task, networking?: Pick<Docker.ContainerCreateOptions, 'HostConfig' | 'NetworkingConfig'>): Promise<string> {
    return (await this.createTask(task, networking)).containerId;
  }

  /**
   * create, also saying whether the container has a health check: the spec's test, else the
   * image's HEALTHCHECK (how the engine merges them), `["NONE"]` or no test meaning none. A task
   * without one need not ask the engine for its health before it starts.
   */
  async createTask(task: Task, networking?: Pick<Docker.ContainerCreateOptions, 'HostConfig' | 'NetworkingConfig'>): Promise<{ containerId: string; healthCheck: boolean }> {
    const opts = withNetworking(containerCreateOptions(task), networking);
    let image: Docker.ImageInspectInfo;
    try {
      image = await this.images.check(opts.Image!);
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new TaskError(`image ${opts.Image} not found on this node (Flotilla never pulls; load it with docker load)`, task.id);
      }
      throw err;
    }
    const volumeMounts = await this.pluginVolumeMounts(task);
    let secretMounts: Docker.MountSettings[] = [];
    try {
      secretMounts = await this.secretMounts(task);
      const extra = [...volumeMounts, ...secretMounts];
      if (extra.length > 0) opts.HostConfig = { ...opts.HostConfig, Mounts: [...(opts.HostConfig?.Mounts ?? []), ...extra] };
      const container = await this.docker.createContainer(opts);
      return { containerId: container.id, healthCheck: hasHealthCheck(opts.Healthcheck?.Test, image.Config?.Healthcheck?.Test) };
    } catch (err) {
      if (secretMounts.length > 0) await this.secrets?.release(task.id);
      if (volumeMounts.length > 0) await this.volumes?.release(task.id);
      throw err;
    }
  }

  async start(containerId: string): Promise<void> {
    await this.docker.getContainer(containerId).start();
  }

  /** Resolves when the started container is no longer running (at once if it already exited). */
  async wait(containerId: string): Promise<ExitResult> {
    const res = (await this.docker.getContainer(containerId).wait()) as { StatusCode: number };
    return { exitCode: res.StatusCode };
  }

  /**
   * The container's health as the engine has it now: `none` when its effective config (the
   * spec's check merged over the image's HEALTHCHECK) has no check or says ["NONE"].
   */
  async inspectHealth(containerId: string): Promise<TaskHealth> {
    const info = await this.docker.getContainer(containerId).inspect();
    return healthOf(info);
  }

  /** Stops with the task's grace period; an already-stopped container is fine. */
  async stop(task: Task, containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).stop({ t: Math.ceil(stopGraceMs(task) / 1000) });
    } catch (err) {
      if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
    }
  }

  async remove(containerId: string): Promise<void> {
    const taskId = this.secrets || this.volumes ? await this.taskIdOf(containerId) : undefined;
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (err) {
      // Someone else (`docker rm -f`, a second call) is removing it already: wait for that
      // rather than ask again, which only earns the same 409 in a tight loop.
      if (statusOf(err) === 409 && /already in progress/.test(errMessage(err))) await this.untilRemoved(containerId);
      else if (statusOf(err) !== 404) throw err;
    }
    // The secrets and plugin volumes go with the container, never later than it.
    if (taskId) await this.secrets?.release(taskId);
    if (taskId) await this.volumes?.release(taskId);
  }

  private async untilRemoved(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).wait({ condition: 'removed', abortSignal: AbortSignal.timeout(REMOVAL_WAIT_MS) });
    } catch (err) {
      // 404: gone before the wait began. Anything else (the other removal failed and the wait
      // ran out) goes to the caller, whose next attempt asks for the removal again.
      if (statusOf(err) !== 404) throw new Error(`waiting for the removal of container ${containerId} already in progress: ${errMessage(err)}`);
    }
  }

  private async pluginVolumeMounts(task: Task): Promise<Docker.MountSettings[]> {
    if (!(task.spec?.container?.mounts ?? []).some(isPluginVolume)) return [];
    if (!this.volumes) throw new TaskError('this node cannot mount volumes from volume driver plugins', task.id);
    try {
      return await this.volumes.prepare(task);
    } catch (err) {
      throw new TaskError(errMessage(err), task.id);
    }
  }

  private async secretMounts(task: Task): Promise<Docker.MountSettings[]> {
    const c = task.spec?.container;
    if (!this.secrets || ((c?.secrets ?? []).length === 0 && (c?.configs ?? []).length === 0)) return [];
    try {
      return await this.secrets.prepare(task);
    } catch (err) {
      throw new TaskError(`preparing secrets: ${err instanceof Error ? err.message : String(err)}`, task.id);
    }
  }

  private async taskIdOf(containerId: string): Promise<string | undefined> {
    try {
      return (await this.docker.getContainer(containerId).inspect()).Config.Labels?.[LABEL_TASK_ID];
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Task containers of this node, by task id: what a restarted agent re-adopts. */
  async listTaskContainers(nodeId: string): Promise<Map<string, Docker.ContainerInfo>> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE_ID}=${nodeId}`] } });
    return new Map(list.map((c) => [c.Labels[LABEL_TASK_ID]!, c]));
  }

  /** What a restarting agent finds of each task container: running or exit code, and health. */
  async findTaskContainers(nodeId: string): Promise<Map<string, FoundContainer>> {
    const found = new Map<string, FoundContainer>();
    for (const [taskId, info] of await this.listTaskContainers(nodeId)) {
      let inspected: Docker.ContainerInspectInfo;
      try {
        inspected = await this.docker.getContainer(info.Id).inspect();
      } catch (err) {
        if (statusOf(err) === 404) continue; // removed between the list and the inspect
        throw err;
      }
      found.set(taskId, { id: info.Id, running: inspected.State.Running, exitCode: inspected.State.ExitCode, health: healthOf(inspected) });
    }
    return found;
  }
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? (err as { statusCode: number }).statusCode : undefined;
}

/** Accepts `unix:///path`, a bare socket path, or `tcp://host:port` like DOCKER_HOST. */
export function dockerFromHost(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(host);
  if (m) return new Docker({ host: m[1], port: Number(m[2]) });
  throw new Error(`invalid docker host "${host}": expected unix:///path or tcp://host:port`);
}

/** `none` unless the container's effective config has a check; then Docker's state of it. */
/** The engine's merge of a container's health test over its image's: the container's unless empty. Pure. */
export function hasHealthCheck(specTest: readonly string[] | undefined, imageTest: readonly string[] | undefined): boolean {
  const test = specTest && specTest.length > 0 ? specTest : (imageTest ?? []);
  return test.length > 0 && test[0] !== 'NONE';
}

export function healthOf(info: Docker.ContainerInspectInfo): TaskHealth {
  const test = info.Config.Healthcheck?.Test ?? [];
  if (test.length === 0 || test[0] === 'NONE') return 'none';
  const status = info.State.Health?.Status;
  // Not started yet, or started and not probed yet: either way, not healthy so far.
  return status === 'healthy' || status === 'unhealthy' ? status : 'starting';
}
