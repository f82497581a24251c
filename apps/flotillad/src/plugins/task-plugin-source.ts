import { TaskState, taskStateToNumber, type Plugin } from '@flotilla/api';
import { PluginRefused, type TaskPluginSource } from '@flotilla/dispatcher';
import type { RaftMember } from '@flotilla/raft';
import { isAssignedTo } from '../manager/dispatcher-backend.js';
import { lookupPlugin } from './plugin-lookup.js';

const RUNNING = taskStateToNumber(TaskState.TASK_STATE_RUNNING);

/** A volume driver plugin for the dispatcher, if the asking node's task mounts a volume of it. */
export class StoreTaskPluginSource implements TaskPluginSource {
  constructor(private readonly member: RaftMember) {}

  pluginForTask(nodeId: string, taskId: string, name: string): Plugin {
    const view = this.member.store.view();
    const task = view.tasks.get(taskId);
    if (!isAssignedTo(task, nodeId)) throw new PluginRefused(`task ${taskId} is not assigned to node ${nodeId}`);
    if (taskStateToNumber(task.desiredState) > RUNNING) throw new PluginRefused(`task ${taskId} is being shut down`);
    if (!(task.spec?.container?.mounts ?? []).some((m) => m.volumeDriver === name)) throw new PluginRefused(`task ${taskId} has no volume of driver ${name}`);
    const plugin = lookupPlugin(view, name);
    if (!plugin) throw new PluginRefused(`volume driver plugin ${name} is not installed`);
    return plugin;
  }
}
