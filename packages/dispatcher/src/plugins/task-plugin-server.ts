import { TaskPluginsRequest, TaskPluginsResponse, type Plugin } from '@flotilla/api';
import { BusErrorCode, BusRequestError, lastSubjectToken, serve, silentLogger, type BusConnection, type ClusterSubjects, type Logger, type Served } from '@flotilla/bus';

/** Why a node may not have a plugin. */
export class PluginRefused extends Error {
  override readonly name = 'PluginRefused';
}

/** Where plugins come from: flotillad reads them from the store. */
export interface TaskPluginSource {
  /** The plugin `name` as a volume driver of `taskId`; PluginRefused unless the task is the node's and uses it. */
  pluginForTask(nodeId: string, taskId: string, name: string): Plugin;
}

/**
 * Answers dispatcher.plugins.<nodeId> (issue 17): a worker runs a volume driver plugin only for a
 * task assigned to it that mounts a volume of that driver, and gets the plugin (config, grants,
 * settings, rootfs) from here, since workers never read the store. The rootfs cap (768 KiB)
 * keeps the reply under NATS's 1 MB.
 */
export class TaskPluginServer {
  private readonly log: Logger;
  private served: Served | undefined;

  constructor(
    private readonly opts: {
      nc: BusConnection['nc'];
      subjects: ClusterSubjects;
      source: TaskPluginSource;
      sessionOf(nodeId: string): string | undefined;
      logger?: Logger;
    },
  ) {
    this.log = (opts.logger ?? silentLogger()).child({ component: 'dispatcher', part: 'plugins' });
  }

  start(): void {
    this.served ??= serve(this.opts.nc, this.opts.subjects.dispatcher.pluginsAny, TaskPluginsRequest, TaskPluginsResponse, (req, ctx) => this.answer(lastSubjectToken(ctx.subject), req), {
      logger: this.log,
    });
  }

  async stop(): Promise<void> {
    const s = this.served;
    this.served = undefined;
    await s?.stop();
  }

  private answer(nodeId: string, req: TaskPluginsRequest): TaskPluginsResponse {
    const session = this.opts.sessionOf(nodeId);
    if (session === undefined || session !== req.sessionId) {
      throw new BusRequestError(BusErrorCode.NOT_FOUND, `node ${nodeId} has no session ${JSON.stringify(req.sessionId)}: open a session first`);
    }
    try {
      const plugin = this.opts.source.pluginForTask(nodeId, req.taskId, req.plugin);
      this.log.info({ nodeId, taskId: req.taskId, pluginId: plugin.id, plugin: plugin.spec?.name }, 'sent a volume driver plugin to its node');
      return { plugin };
    } catch (err) {
      if (err instanceof PluginRefused) {
        this.log.warn({ nodeId, taskId: req.taskId, plugin: req.plugin, reason: err.message }, 'refused a plugin to a node');
        throw new BusRequestError(BusErrorCode.PERMISSION_DENIED, err.message);
      }
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `reading plugin ${req.plugin} for node ${nodeId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
