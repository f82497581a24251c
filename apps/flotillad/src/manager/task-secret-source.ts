import { TaskState, taskStateToNumber, type Task, type TaskConfigValue, type TaskSecretValue } from '@flotilla/api';
import { openSecretValue, type SecretsKey } from '@flotilla/ca';
import { SecretsRefused, type TaskSecretSource } from '@flotilla/dispatcher';
import type { RaftMember } from '@flotilla/raft';
import { isAssignedTo } from './dispatcher-backend.js';

const RUNNING = taskStateToNumber(TaskState.TASK_STATE_RUNNING);

/** Opens, for the dispatcher, the sealed values of the secrets a task uses, if the task is the asking node's. */
export class StoreTaskSecretSource implements TaskSecretSource {
  constructor(
    private readonly member: RaftMember,
    private readonly key: () => SecretsKey,
  ) {}

  /** The task, if the asking node may have its secrets and configs now. */
  private taskFor(nodeId: string, taskId: string): Task {
    const task = this.member.store.view().tasks.get(taskId);
    if (!isAssignedTo(task, nodeId)) throw new SecretsRefused(`task ${taskId} is not assigned to node ${nodeId}`);
    if (taskStateToNumber(task.desiredState) > RUNNING) throw new SecretsRefused(`task ${taskId} is being shut down`);
    return task;
  }

  async configsForTask(nodeId: string, taskId: string): Promise<TaskConfigValue[]> {
    const task = this.taskFor(nodeId, taskId);
    const view = this.member.store.view();
    return (task.spec?.container?.configs ?? []).map((ref) => {
      const config = view.configs.get(ref.configId);
      if (!config) throw new Error(`config ${ref.configName || ref.configId} used by task ${taskId} no longer exists`);
      return { configId: config.id, name: config.spec?.annotations?.name ?? '', data: config.spec?.data ?? Buffer.alloc(0) };
    });
  }

  async secretsForTask(nodeId: string, taskId: string): Promise<TaskSecretValue[]> {
    const task = this.taskFor(nodeId, taskId);
    const view = this.member.store.view();
    const key = this.key();
    return (task.spec?.container?.secrets ?? []).map((ref) => {
      const secret = view.secrets.get(ref.secretId);
      if (!secret) throw new Error(`secret ${ref.secretName || ref.secretId} used by task ${taskId} no longer exists`);
      return { secretId: secret.id, name: secret.spec?.annotations?.name ?? '', data: openSecretValue(key, secret.id, secret.sealed) };
    });
  }
}
