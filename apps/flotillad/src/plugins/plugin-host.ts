// Runs plugins on this node as ordinary containers of the local Docker Engine, with exactly the
// privileges they were granted, and keeps a protocol client for each one that is up.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Plugin } from '@flotilla/api';
import {
  AUTHZ_TYPE,
  applySettings,
  describePrivileges,
  missingPrivileges,
  parsePluginConfig,
  pluginContainerPlan,
  PluginClient,
  privilegesOf,
  VOLUME_DRIVER_TYPE,
  type HostBind,
  type PluginConfig,
} from '@flotilla/plugins';
import type { Logger } from 'pino';

export const LABEL_PLUGIN_ID = 'com.flotilla.plugin.id';
export const LABEL_PLUGIN_NODE = 'com.flotilla.plugin.node';
const LABEL_PLUGIN_KEY = 'com.flotilla.plugin.key';
const ROOTFS_REPO = 'flotilla-plugin-rootfs';
/** How long a started plugin may take to create its socket and answer /Plugin.Activate. */
const START_TIMEOUT_MS = 15_000;
/** Docker's per-call bound for plugins; a slower answer fails the call (closed, for authz). */
export const PLUGIN_CALL_TIMEOUT_MS = 5_000;

export interface RunningPlugin {
  readonly id: string;
  /** runKeyOf the plugin object it was started from. */
  readonly key: string;
  readonly name: string;
  readonly config: PluginConfig;
  readonly client: PluginClient;
  readonly binds: readonly HostBind[];
}

const IMPLEMENTS: Record<string, string> = { [AUTHZ_TYPE]: 'authz', [VOLUME_DRIVER_TYPE]: 'VolumeDriver' };

/** What makes two runs of a plugin the same: its files, its config and its settings. */
export function runKeyOf(plugin: Plugin): string {
  const s = plugin.spec;
  return createHash('sha256')
    .update(JSON.stringify([s?.configJson ?? '', s?.settings ?? [], s?.image ?? '', plugin.rootfsDigest]))
    .digest('hex')
    .slice(0, 24);
}

export class PluginHost {
  private readonly running = new Map<string, RunningPlugin & { containerId: string }>();
  private readonly errors = new Map<string, string>();
  private readonly busy = new Map<string, Promise<RunningPlugin>>();

  constructor(
    private readonly docker: Docker,
    private readonly nodeId: string,
    /** <dataDir>/plugins: one folder per plugin for its socket and propagated mount. */
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  containerName(pluginId: string): string {
    return `flotilla-plugin.${pluginId.slice(0, 12)}.${this.nodeId.slice(0, 12)}`;
  }

  /** The plugin as it runs now, if it does. */
  current(pluginId: string): RunningPlugin | undefined {
    return this.running.get(pluginId);
  }

  /** Why the last start failed, if it did. */
  lastError(pluginId: string): string | undefined {
    return this.errors.get(pluginId);
  }

  /**
   * Makes sure this version of the plugin runs here and answers, starting (or restarting) its
   * container when needed. One start per plugin at a time; concurrent callers share it.
   */
  ensure(plugin: Plugin): Promise<RunningPlugin> {
    const pending = this.busy.get(plugin.id);
    if (pending) return pending;
    const work = this.ensureNow(plugin).finally(() => this.busy.delete(plugin.id));
    this.busy.set(plugin.id, work);
    return work;
  }

  private async ensureNow(plugin: Plugin): Promise<RunningPlugin> {
    const key = runKeyOf(plugin);
    const have = this.running.get(plugin.id);
    if (have && have.key === key && (await this.isRunning(have.containerId))) return have;
    try {
      const started = await this.start(plugin, key);
      this.errors.delete(plugin.id);
      return started;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.errors.set(plugin.id, message);
      this.running.delete(plugin.id);
      await this.removeContainer(this.containerName(plugin.id));
      throw new Error(`starting plugin ${plugin.spec?.name ?? plugin.id}: ${message}`);
    }
  }

  private async start(plugin: Plugin, key: string): Promise<RunningPlugin> {
    const name = plugin.spec?.name ?? plugin.id;
    const config = applySettings(parsePluginConfig(plugin.spec?.configJson ?? ''), plugin.spec?.settings ?? []);
    // The store never holds a plugin that needs more than it was granted; checked again here
    // because this is where the privileges become real.
    const missing = missingPrivileges(privilegesOf(config), plugin.spec?.granted ?? []);
    if (missing.length > 0) throw new Error(`it needs privileges that were not granted: ${describePrivileges(missing)}`);
    const image = await this.imageFor(plugin);
    const base = join(this.dir, plugin.id.slice(0, 12));
    const socketDir = join(base, 'run');
    const propagatedDir = join(base, 'propagated-mount');
    await rm(socketDir, { recursive: true, force: true });
    await mkdir(socketDir, { recursive: true, mode: 0o700 });
    if (config.propagatedMount !== '') await mkdir(propagatedDir, { recursive: true });
    const containerName = this.containerName(plugin.id);
    const plan = pluginContainerPlan({
      name: containerName,
      image,
      config,
      socketDir,
      propagatedDir,
      labels: { [LABEL_PLUGIN_ID]: plugin.id, [LABEL_PLUGIN_NODE]: this.nodeId, [LABEL_PLUGIN_KEY]: key, 'com.flotilla.plugin.name': name },
    });
    await this.removeContainer(containerName);
    const container = await this.docker.createContainer(plan.create as Docker.ContainerCreateOptions);
    await container.start();
    const client = new PluginClient({ name, socketPath: plan.hostSocket, timeoutMs: PLUGIN_CALL_TIMEOUT_MS });
    await this.untilListening(container, plan.hostSocket);
    const implemented = await client.activate();
    for (const type of config.interface.types) {
      const want = IMPLEMENTS[type];
      if (want && !implemented.includes(want)) throw new Error(`it declares ${type} but its /Plugin.Activate implements only [${implemented.join(', ')}]`);
    }
    const running = { id: plugin.id, name, config, client, binds: plan.binds, key, containerId: container.id };
    this.running.set(plugin.id, running);
    this.log.info({ pluginId: plugin.id, plugin: name, container: containerName, implements: implemented }, 'plugin running');
    return running;
  }

  /** The socket appears, or the container exits (then its last output says why). */
  private async untilListening(container: Docker.Container, socketPath: string): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!existsSync(socketPath)) {
      const info = await container.inspect();
      if (!info.State.Running) {
        const logs = (await container.logs({ stdout: true, stderr: true, tail: 5 }).catch(() => Buffer.alloc(0))) as Buffer;
        const text = demux(logs).trim().split('\n').pop() ?? '';
        throw new Error(`its container exited with status ${info.State.ExitCode} before listening${text ? `: ${text}` : ''}`);
      }
      if (Date.now() > deadline) throw new Error(`no socket ${socketPath} after ${START_TIMEOUT_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The plugin's image: the local image it names, or its rootfs imported once (no registry). */
  private async imageFor(plugin: Plugin): Promise<string> {
    if (plugin.spec?.image) {
      await this.docker.getImage(plugin.spec.image).inspect().catch(() => {
        throw new Error(`image ${plugin.spec?.image} is not on this node`);
      });
      return plugin.spec.image;
    }
    if (plugin.rootfs.length === 0) throw new Error('the store holds no rootfs for it');
    const tag = plugin.rootfsDigest.replace(/^sha256:/, '').slice(0, 32);
    const ref = `${ROOTFS_REPO}:${tag}`;
    const present = await this.docker.getImage(ref).inspect().then(
      () => true,
      () => false,
    );
    if (!present) {
      const stream = await this.docker.importImage(Readable.from([Buffer.from(plugin.rootfs)]) as unknown as NodeJS.ReadableStream, { repo: ROOTFS_REPO, tag });
      await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
      this.log.info({ pluginId: plugin.id, image: ref, bytes: plugin.rootfs.length }, 'plugin rootfs imported');
    }
    return ref;
  }

  private async isRunning(containerId: string): Promise<boolean> {
    try {
      return (await this.docker.getContainer(containerId).inspect()).State.Running;
    } catch {
      return false;
    }
  }

  private async removeContainer(nameOrId: string): Promise<void> {
    await this.docker
      .getContainer(nameOrId)
      .remove({ force: true })
      .catch(() => {});
  }

  /** Reads one file of a local image through a created (never started) container. */
  async readImageFile<T>(image: string, path: string, read: (tarStream: NodeJS.ReadableStream) => Promise<T>): Promise<T> {
    await this.docker.getImage(image).inspect().catch(() => {
      throw new Error(`image ${image} is not on this node`);
    });
    const container = await this.docker.createContainer({ Image: image, Entrypoint: ['/config.json'], NetworkDisabled: true, Labels: { 'com.flotilla.plugin.reader': this.nodeId } });
    try {
      return await read(await container.getArchive({ path }));
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }

  /** Stops and removes the plugin's container here (it is started again when needed). */
  async stop(pluginId: string): Promise<void> {
    await this.busy.get(pluginId)?.catch(() => {});
    this.running.delete(pluginId);
    this.errors.delete(pluginId);
    await this.removeContainer(this.containerName(pluginId));
    this.log.info({ pluginId }, 'plugin stopped');
  }

  /** Removes this node's plugin containers that are not in `keep` (left by a previous run). */
  async sweep(keep: ReadonlySet<string>): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_PLUGIN_NODE}=${this.nodeId}`] } });
    for (const c of containers) {
      const id = c.Labels[LABEL_PLUGIN_ID] ?? '';
      if (!keep.has(id) && !this.busy.has(id)) {
        this.running.delete(id);
        await this.removeContainer(c.Id);
      }
    }
  }

  async stopAll(): Promise<void> {
    await this.sweep(new Set());
    this.running.clear();
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
function demux(buf: Buffer): string {
  let out = '';
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    out += buf.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return out || buf.toString('utf8');
}
