import {
  newId,
  type DisablePluginRequest,
  type EnablePluginRequest,
  type GetPluginRequest,
  type InstallPluginRequest,
  type ListPluginsResponse,
  type Plugin,
  type PluginPrivilegesRequest,
  type PluginPrivilegesResponse,
  type RemovePluginRequest,
  type RemovePluginResponse,
  type SetPluginRequest,
  type UpgradePluginRequest,
} from '@flotilla/api';
import {
  applySettings,
  describePrivileges,
  digestOf,
  mergePrivileges,
  missingPrivileges,
  normalizePluginName,
  parsePluginConfig,
  PluginConfigError,
  PluginNameError,
  type PluginPrivilege,
  PluginSettingError,
  privilegesOf,
  type PluginConfig,
} from '@flotilla/plugins';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ReadTx } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeStore } from '../manager/store-writer.js';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { findPlugin, pluginView } from '../plugins/plugin-lookup.js';
import { readImagePluginConfig } from '../plugins/image-config.js';
import { alreadyExists, ControlError, invalidArgument } from './control-error.js';
import { unary } from './unary.js';
import { upToDateManager } from './up-to-date-manager.js';

/**
 * The largest compressed rootfs the store takes. It travels in Raft entries and, to workers, in
 * one NATS message (1 MB): bigger plugins are installed from a local image on each node.
 */
export const MAX_PLUGIN_ROOTFS_BYTES = 768 * 1024;
const DEFAULT_ENABLE_TIMEOUT_MS = 30_000;

const refused = (message: string) => new ControlError(GrpcStatus.FAILED_PRECONDITION, message);

/** Domain errors of @flotilla/plugins become INVALID_ARGUMENT with their own words. */
function checked<T>(what: () => T): T {
  try {
    return what();
  } catch (err) {
    if (err instanceof PluginConfigError || err instanceof PluginSettingError || err instanceof PluginNameError) throw invalidArgument(err.message);
    throw err;
  }
}

/** The config as it will run, refusing what needs more than `granted`. */
function effectiveConfig(name: string, configJson: string, settings: readonly string[], granted: readonly PluginPrivilege[]): PluginConfig {
  const config = checked(() => applySettings(parsePluginConfig(configJson), settings));
  const missing = missingPrivileges(privilegesOf(config), granted);
  if (missing.length > 0) {
    throw new ControlError(GrpcStatus.PERMISSION_DENIED, `plugin ${name} needs privileges that were not granted: ${describePrivileges(missing)}; grant them to continue`);
  }
  return config;
}

function checkRootfs(image: string, rootfs: Uint8Array): void {
  if (image !== '' && rootfs.length > 0) throw invalidArgument('a plugin comes from a rootfs or from a local image, not both');
  if (image === '' && rootfs.length === 0) throw invalidArgument('the plugin has no rootfs');
  if (rootfs.length > MAX_PLUGIN_ROOTFS_BYTES) {
    throw invalidArgument(`the compressed rootfs is ${rootfs.length} bytes; the swarm store takes at most ${MAX_PLUGIN_ROOTFS_BYTES} (install larger plugins from a local image)`);
  }
}

const usersOf = (view: ReadTx, plugin: Plugin): string[] =>
  [...view.services.all()]
    .filter((s) => (s.spec?.task?.container?.mounts ?? []).some((m) => m.volumeDriver !== '' && [plugin.spec?.name, plugin.spec?.name.replace(/:latest$/, '')].includes(m.volumeDriver)))
    .map((s) => s.spec?.annotations?.name ?? s.id)
    .sort();

async function updatePlugin(rt: ManagerRuntime, id: string, change: (p: Plugin, view: ReadTx) => Plugin): Promise<Plugin> {
  await writeStore(rt.member, (view, tx) => {
    tx.update('plugin', change(findPlugin(view, id), view));
  });
  return pluginView(findPlugin(rt.member.store.view(), id));
}

/** Starts it on this manager first, so a plugin that cannot run is never enabled anywhere. */
async function activateWithin(rt: ManagerRuntime, plugin: Plugin, timeoutMs: number): Promise<void> {
  const ms = timeoutMs > 0 ? timeoutMs : DEFAULT_ENABLE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      rt.plugins.activateHere(plugin),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`it did not answer within ${ms / 1000}s`)), ms);
      }),
    ]);
  } catch (err) {
    await rt.plugins.host.stop(plugin.id);
    throw refused(`plugin ${plugin.spec?.name} could not be enabled: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export function pluginHandlers(swarm: SwarmController, log: Logger) {
  const enable = async (rt: ManagerRuntime, id: string, timeoutMs: number): Promise<Plugin> => {
    const plugin = findPlugin(rt.member.store.view(), id);
    const name = plugin.spec?.name ?? id;
    if (plugin.spec?.enabled) throw refused(`plugin ${name} is already enabled`);
    effectiveConfig(name, plugin.spec?.configJson ?? '', plugin.spec?.settings ?? [], plugin.spec?.granted ?? []);
    await activateWithin(rt, { ...plugin, spec: { ...plugin.spec!, enabled: true } }, timeoutMs);
    const out = await updatePlugin(rt, id, (p) => ({ ...p, spec: { ...p.spec!, enabled: true } }));
    log.info({ pluginId: id, plugin: name }, 'plugin enabled');
    return out;
  };

  return {
    installPlugin: unary(log, 'InstallPlugin', async (req: InstallPluginRequest): Promise<Plugin> => {
      const rt = await upToDateManager(swarm);
      const name = checked(() => normalizePluginName(req.name));
      checkRootfs(req.image, req.rootfs);
      effectiveConfig(name, req.configJson, req.settings, req.granted);
      const id = newId();
      const rootfs = Buffer.from(req.rootfs);
      await writeStore(rt.member, (view, tx) => {
        if (view.plugins.byName(name)) throw alreadyExists(`plugin ${name} already exists`);
        tx.create('plugin', {
          id,
          spec: { name, configJson: req.configJson, granted: req.granted, settings: req.settings, enabled: false, image: req.image, source: req.source },
          rootfs,
          rootfsDigest: rootfs.length > 0 ? digestOf(rootfs) : '',
          rootfsSize: rootfs.length,
        });
      });
      log.info({ pluginId: id, plugin: name, source: req.source, rootfsBytes: rootfs.length }, 'plugin installed');
      if (req.disable) return pluginView(findPlugin(rt.member.store.view(), id));
      return enable(rt, id, req.timeoutMs);
    }),
    listPlugins: unary(log, 'ListPlugins', async (): Promise<ListPluginsResponse> => ({ plugins: [...(await upToDateManager(swarm)).member.store.view().plugins.all()].map(pluginView) })),
    getPlugin: unary(log, 'GetPlugin', async (req: GetPluginRequest): Promise<Plugin> => pluginView(findPlugin((await upToDateManager(swarm)).member.store.view(), req.plugin))),
    enablePlugin: unary(log, 'EnablePlugin', async (req: EnablePluginRequest): Promise<Plugin> => {
      const rt = await upToDateManager(swarm);
      return enable(rt, findPlugin(rt.member.store.view(), req.plugin).id, req.timeoutMs);
    }),
    disablePlugin: unary(log, 'DisablePlugin', async (req: DisablePluginRequest): Promise<Plugin> => {
      const rt = await upToDateManager(swarm);
      const id = findPlugin(rt.member.store.view(), req.plugin).id;
      const out = await updatePlugin(rt, id, (p, view) => {
        const name = p.spec?.name ?? id;
        if (!p.spec?.enabled) throw refused(`plugin ${name} is already disabled`);
        const users = usersOf(view, p);
        if (users.length > 0 && !req.force) throw refused(`plugin ${name} is in use by service${users.length > 1 ? 's' : ''} ${users.join(', ')} (use -f to disable it anyway)`);
        return { ...p, spec: { ...p.spec, enabled: false } };
      });
      log.info({ pluginId: id, plugin: out.spec?.name }, 'plugin disabled');
      return out;
    }),
    removePlugin: unary(log, 'RemovePlugin', async (req: RemovePluginRequest): Promise<RemovePluginResponse> => {
      const rt = await upToDateManager(swarm);
      const found = findPlugin(rt.member.store.view(), req.plugin);
      await writeStore(rt.member, (view, tx) => {
        const p = findPlugin(view, found.id);
        const name = p.spec?.name ?? p.id;
        if (p.spec?.enabled && !req.force) throw refused(`plugin ${name} is enabled: disable it first, or use -f to remove it anyway`);
        const users = usersOf(view, p);
        if (users.length > 0 && !req.force) throw refused(`plugin ${name} is in use by service${users.length > 1 ? 's' : ''} ${users.join(', ')}`);
        tx.delete('plugin', p);
      });
      log.info({ pluginId: found.id, plugin: found.spec?.name }, 'plugin removed');
      return { id: found.id, name: found.spec?.name ?? '' };
    }),
    setPlugin: unary(log, 'SetPlugin', async (req: SetPluginRequest): Promise<Plugin> => {
      const rt = await upToDateManager(swarm);
      const id = findPlugin(rt.member.store.view(), req.plugin).id;
      return updatePlugin(rt, id, (p) => {
        const name = p.spec?.name ?? id;
        if (p.spec?.enabled) throw refused(`cannot set on an active plugin: disable plugin ${name} before setting`);
        const settings = [...(p.spec?.settings ?? []), ...req.settings];
        const config = checked(() => applySettings(parsePluginConfig(p.spec?.configJson ?? ''), settings));
        // Naming a value with plugin set is the operator's consent to what that value touches.
        return { ...p, spec: { ...p.spec!, settings, granted: mergePrivileges(p.spec?.granted ?? [], privilegesOf(config)) } };
      });
    }),
    upgradePlugin: unary(log, 'UpgradePlugin', async (req: UpgradePluginRequest): Promise<Plugin> => {
      const rt = await upToDateManager(swarm);
      const current = findPlugin(rt.member.store.view(), req.plugin);
      const name = current.spec?.name ?? current.id;
      if (current.spec?.enabled) throw refused(`plugin ${name} must be disabled before upgrading`);
      checkRootfs(req.image, req.rootfs);
      effectiveConfig(name, req.configJson, current.spec?.settings ?? [], req.granted);
      const rootfs = Buffer.from(req.rootfs);
      const out = await updatePlugin(rt, current.id, (p) => {
        if (p.spec?.enabled) throw refused(`plugin ${name} must be disabled before upgrading`);
        return {
          ...p,
          spec: { ...p.spec!, configJson: req.configJson, granted: req.granted, image: req.image, source: req.source },
          rootfs,
          rootfsDigest: rootfs.length > 0 ? digestOf(rootfs) : '',
          rootfsSize: rootfs.length,
        };
      });
      log.info({ pluginId: current.id, plugin: name, source: req.source }, 'plugin upgraded');
      return out;
    }),
    pluginPrivileges: unary(log, 'PluginPrivileges', async (req: PluginPrivilegesRequest): Promise<PluginPrivilegesResponse> => {
      const rt = await upToDateManager(swarm);
      const configJson = await readImagePluginConfig(rt.plugins.host, req.image);
      const config = checked(() => parsePluginConfig(configJson));
      return { configJson, privileges: privilegesOf(config) };
    }),
  };
}
