// A manager's plugins: keeps every enabled authorization plugin running on this manager (each
// manager enforces the same ones), serves volume drivers to the local agent, and stops what
// was disabled or removed.
import type { Plugin } from '@flotilla/api';
import { applySettings, hostPathFor, isAuthzPlugin, isVolumeDriver, parsePluginConfig, VolumeDriverClient, type AuthzPluginHandle } from '@flotilla/plugins';
import type { VolumeDriverAccess } from '@flotilla/agent';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { repeatOnStoreChanges } from '../manager/repeat-on-store-changes.js';
import { runKeyOf, type PluginHost, type RunningPlugin } from './plugin-host.js';
import { lookupPlugin } from './plugin-lookup.js';

/** Also checked this often, so a plugin container that died is started again. */
const RECONCILE_EVERY_MS = 5_000;
/** How long a control call waits for an enabled authz plugin that is starting on this manager. */
const AUTHZ_START_WAIT_MS = 10_000;

function configOf(p: Plugin) {
  try {
    return applySettings(parsePluginConfig(p.spec?.configJson ?? ''), p.spec?.settings ?? []);
  } catch {
    return undefined;
  }
}

export const isEnabledAuthz = (p: Plugin): boolean => Boolean(p.spec?.enabled) && configOf(p) !== undefined && isAuthzPlugin(configOf(p)!);

/** Resolves a volume driver plugin by name and mounts through it; shared by managers and workers. */
export function volumeAccessVia(host: PluginHost, pluginNamed: (name: string, taskId: string) => Promise<Plugin>): VolumeDriverAccess {
  const driverFor = async (name: string, taskId: string): Promise<{ running: RunningPlugin; driver: VolumeDriverClient }> => {
    const plugin = await pluginNamed(name, taskId);
    const config = configOf(plugin);
    if (!config || !isVolumeDriver(config)) throw new Error(`plugin ${plugin.spec?.name} is not a volume driver`);
    if (!plugin.spec?.enabled) throw new Error(`plugin ${plugin.spec?.name} is disabled`);
    const running = await host.ensure(plugin);
    return { running, driver: new VolumeDriverClient(running.client) };
  };
  return {
    async mount(name, volume, options, taskId) {
      const { running, driver } = await driverFor(name, taskId);
      await driver.create(volume, { ...options });
      const inPlugin = await driver.mount(volume, taskId);
      const onHost = hostPathFor(inPlugin, running.binds);
      if (onHost === undefined) throw new Error(`plugin ${running.name} mounted volume ${volume} at ${inPlugin}, which is not on any of its host mounts`);
      return onHost;
    },
    async unmount(name, volume, taskId) {
      const { driver } = await driverFor(name, taskId);
      await driver.unmount(volume, taskId);
    },
  };
}

export class ManagerPlugins {
  private loop: { stop(): void } | undefined;
  private reconciling = false;
  private again = false;
  private stopped = false;
  readonly volumeAccess: VolumeDriverAccess;

  constructor(
    private readonly member: RaftMember,
    readonly host: PluginHost,
    private readonly log: Logger,
  ) {
    this.volumeAccess = volumeAccessVia(host, async (name) => {
      const plugin = lookupPlugin(this.member.store.view(), name);
      if (!plugin) throw new Error(`volume driver plugin ${name} is not installed`);
      return plugin;
    });
  }

  start(): void {
    this.loop = repeatOnStoreChanges(this.member, { kinds: ['plugin'] }, RECONCILE_EVERY_MS, () => void this.reconcile());
  }

  /**
   * Enabled authz plugins in install order, as the gate asks them. One that is not running yet
   * here (just enabled elsewhere, restarting) is started and waited for, within a bound.
   */
  async authzHandles(): Promise<AuthzPluginHandle[]> {
    const enabled = [...this.member.store.view().plugins.all()].filter(isEnabledAuthz);
    enabled.sort((a, b) => (a.meta?.createdAt ?? 0) - (b.meta?.createdAt ?? 0) || a.id.localeCompare(b.id));
    return Promise.all(enabled.map((p) => this.handleOf(p)));
  }

  private async handleOf(p: Plugin): Promise<AuthzPluginHandle> {
    const name = p.spec?.name ?? p.id;
    const running = this.host.current(p.id);
    if (running && running.key === runKeyOf(p)) return { name, client: running.client };
    let timer: NodeJS.Timeout | undefined;
    try {
      const started = await Promise.race([
        this.host.ensure(p),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not started within ${AUTHZ_START_WAIT_MS / 1000}s`)), AUTHZ_START_WAIT_MS);
        }),
      ]);
      return { name, client: started.client };
    } catch (err) {
      return { name, client: undefined, unavailable: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the plugin here now and says whether it answers (used by plugin enable). */
  async activateHere(plugin: Plugin): Promise<void> {
    await this.host.ensure(plugin);
  }

  private async reconcile(): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.again = false;
        await this.reconcileOnce();
      } while (this.again && !this.stopped);
    } finally {
      this.reconciling = false;
    }
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopped) return;
    const plugins = [...this.member.store.view().plugins.all()];
    const keep = new Set<string>();
    for (const p of plugins) {
      if (!p.spec?.enabled) continue;
      const config = configOf(p);
      // Volume drivers run once a task needs them; authz plugins always, to guard every call.
      if (config && isVolumeDriver(config) && this.host.current(p.id)) {
        keep.add(p.id);
        await this.host.ensure(p).catch((err: unknown) => this.log.warn({ pluginId: p.id, err: (err as Error).message }, 'volume driver plugin did not restart'));
      }
      if (isEnabledAuthz(p)) {
        keep.add(p.id);
        await this.host.ensure(p).catch((err: unknown) => this.log.error({ pluginId: p.id, err: (err as Error).message }, 'authorization plugin is not running: control calls are denied until it does'));
      }
    }
    if (this.stopped) return;
    await this.host.sweep(keep).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'removing stopped plugins failed'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.loop?.stop();
    await this.host.stopAll().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'stopping plugin containers failed'));
  }
}
