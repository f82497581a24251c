import { TaskSecretsRequest, TaskSecretsResponse, type TaskConfigValue, type TaskSecretValue } from '@flotilla/api';
import { BusErrorCode, BusRequestError, lastSubjectToken, RefusalLog, serve, silentLogger, type BusConnection, type ClusterSubjects, type Logger, type Served } from '@flotilla/bus';

/** Why a node may not have a task's secrets. */
export class SecretsRefused extends Error {
  override readonly name = 'SecretsRefused';
}

/** Where the values come from: flotillad opens the sealed values in the store. */
export interface TaskSecretSource {
  /**
   * The values of the secrets `taskId` uses; throws SecretsRefused when the task is not
   * assigned to `nodeId` (or no longer meant to run), so a node only ever gets what its own tasks use.
   */
  secretsForTask(nodeId: string, taskId: string): Promise<TaskSecretValue[]>;
  /** The data of the configs `taskId` uses, under the same rule (issue 15). */
  configsForTask(nodeId: string, taskId: string): Promise<TaskConfigValue[]>;
}

export interface TaskSecretServerOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  source: TaskSecretSource;
  /** The node's live session id (the dispatcher's), or undefined without one. */
  sessionOf(nodeId: string): string | undefined;
  logger?: Logger;
}

/**
 * Answers dispatcher.secrets.<nodeId>: NATS permissions tie that subject to the sender's
 * certificate, and the reply goes to the sender's own inbox, which no other worker can read.
 * Pulled by the agent when it prepares a task, so values never ride in the assignments
 * (which agents keep on disk). Logs name secrets and tasks, never values.
 */
export class TaskSecretServer {
  private readonly log: Logger;
  /** Refused asks (a task that is not the node's, a secret the task does not use): summed up. */
  private readonly refusals: RefusalLog;
  private served: Served | undefined;

  constructor(private readonly opts: TaskSecretServerOptions) {
    this.log = (opts.logger ?? silentLogger()).child({ component: 'dispatcher', part: 'secrets' });
    this.refusals = new RefusalLog({ log: this.log, what: 'dispatcher', noun: 'secret requests', sources: ['node', 'nodes'] });
  }

  start(): void {
    if (this.served) return;
    const { nc, subjects } = this.opts;
    this.served = serve(nc, subjects.dispatcher.secretsAny, TaskSecretsRequest, TaskSecretsResponse, (req, ctx) => this.answer(lastSubjectToken(ctx.subject), req), {
      logger: this.log,
    });
  }

  async stop(): Promise<void> {
    const s = this.served;
    this.served = undefined;
    await s?.stop();
    this.refusals.stop();
  }

  private async answer(nodeId: string, req: TaskSecretsRequest): Promise<TaskSecretsResponse> {
    const session = this.opts.sessionOf(nodeId);
    if (session === undefined || session !== req.sessionId) {
      throw new BusRequestError(BusErrorCode.NOT_FOUND, `node ${nodeId} has no session ${JSON.stringify(req.sessionId)}: open a session first`);
    }
    try {
      // A request for configs only (config_ids set, secret_ids empty) gets no secrets.
      const wantsSecrets = req.secretIds.length > 0 || req.configIds.length === 0;
      const all = wantsSecrets ? await this.opts.source.secretsForTask(nodeId, req.taskId) : [];
      const secrets = req.secretIds.length === 0 ? all : all.filter((v) => req.secretIds.includes(v.secretId));
      const unknown = req.secretIds.filter((id) => !all.some((v) => v.secretId === id));
      if (unknown.length > 0) throw new SecretsRefused(`task ${req.taskId} does not use secret ${unknown.join(', ')}`);
      const allConfigs = req.configIds.length > 0 ? await this.opts.source.configsForTask(nodeId, req.taskId) : [];
      const configs = allConfigs.filter((v) => req.configIds.includes(v.configId));
      const unknownConfigs = req.configIds.filter((id) => !allConfigs.some((v) => v.configId === id));
      if (unknownConfigs.length > 0) throw new SecretsRefused(`task ${req.taskId} does not use config ${unknownConfigs.join(', ')}`);
      if (secrets.length > 0) this.log.info({ nodeId, taskId: req.taskId, secretIds: secrets.map((s) => s.secretId) }, 'sent task secrets to its node');
      if (configs.length > 0) this.log.info({ nodeId, taskId: req.taskId, configIds: configs.map((c) => c.configId) }, 'sent task configs to its node');
      return { secrets, configs };
    } catch (err) {
      if (err instanceof SecretsRefused) {
        this.refusals.refuse('secrets-refused', nodeId, `task ${req.taskId}: ${err.message}`);
        throw new BusRequestError(BusErrorCode.PERMISSION_DENIED, err.message);
      }
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `reading the secrets of task ${req.taskId} for node ${nodeId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
