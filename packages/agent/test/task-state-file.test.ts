import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Task, TaskState } from '@flotilla/api';
import { tempDir, type TempDir } from '@flotilla/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskStateFile, TaskStateFileError, type PersistedTask } from '../src/index.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('flotilla-agent-state-');
});
afterEach(async () => dir.cleanup());

const rec = (id: string, state: TaskState): PersistedTask => ({
  task: Task.fromPartial({ id, nodeId: 'n1', desiredState: TaskState.TASK_STATE_RUNNING, spec: { container: { image: 'img', args: ['sleep', '1'] } } }),
  state,
  containerId: `c-${id}`,
  exitCode: undefined,
  message: 'started',
  err: '',
});

describe('TaskStateFile', () => {
  it('round-trips the tasks through the file and starts empty without one', async () => {
    const f = new TaskStateFile(dir.path, 'n1');
    expect(await f.load()).toEqual([]);
    const tasks = [rec('t1', TaskState.TASK_STATE_RUNNING), { ...rec('t2', TaskState.TASK_STATE_FAILED), exitCode: 3, err: 'task: non-zero exit (3)' }];
    await f.save(() => tasks);
    expect(await new TaskStateFile(dir.path, 'n1').load()).toEqual(tasks);
  });

  it('coalesces saves: the last snapshot is what ends up on disk', async () => {
    const f = new TaskStateFile(dir.path, 'n1');
    const saves = [1, 2, 3, 4].map((n) => f.save(() => [rec(`t${n}`, TaskState.TASK_STATE_RUNNING)]));
    await Promise.all(saves);
    expect((await f.load()).map((t) => t.task.id)).toEqual(['t4']);
  });

  it('refuses a file of another node or a corrupt one, naming the file', async () => {
    await new TaskStateFile(dir.path, 'n1').save(() => [rec('t1', TaskState.TASK_STATE_RUNNING)]);
    await expect(new TaskStateFile(dir.path, 'n2').load()).rejects.toThrow(`reading the agent's task state ${join(dir.path, 'assignments.json')}: it belongs to node "n1", not "n2"`);
    await writeFile(join(dir.path, 'assignments.json'), '{"version":1,');
    await expect(new TaskStateFile(dir.path, 'n1').load()).rejects.toBeInstanceOf(TaskStateFileError);
    expect(await readFile(join(dir.path, 'assignments.json'), 'utf8')).toBe('{"version":1,'); // loading changed nothing
  });
});
