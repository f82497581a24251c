import { TaskState, taskStateToNumber, type TaskSecretValue } from '@flotilla/api';
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

  async secretsForTask(nodeId: string, taskId: string): Promise<TaskSecretValue[]> {
    const view = this.member.store.view();
    const task = view.tasks.get(taskId);
    if (!isAssignedTo(task, nodeId)) throw new SecretsRefused(`task ${taskId} is not assigned to node ${nodeId}`);
    if (taskStateToNumber(task.desiredState) > RUNNING) throw new SecretsRefused(`task ${taskId} is being shut down`);
    const key = this.key();
    return (task.spec?.container?.secrets ?? []).map((ref) => {
      const secret = view.secrets.get(ref.secretId);
      if (!secret) throw new Error(`secret ${ref.secretName || ref.secretId} used by task ${taskId} no longer exists`);
      return { secretId: secret.id, name: secret.spec?.annotations?.name ?? '', data: openSecretValue(key, secret.id, secret.sealed) };
    });
  }
}
