import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Task, TaskState } from '@flotilla/api';
import { createLogger, type Logger } from '@flotilla/bus';
import { Dispatcher, SecretsRefused, TaskSecretServer } from '@flotilla/dispatcher';
import { tempDir, waitFor, type TempDir } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, DockerExecutor, LABEL_NODE_ID } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../../../dispatcher/test/support/cluster.js';
import { assignedTask, MemoryDispatcherBackend } from '../../../dispatcher/test/support/memory-backend.js';

// Real nats-server (mTLS, production permissions), real Docker, real tmpfs mounts (needs root,
// as flotillad does). The dispatcher's backend and the secret source are in memory: the store
// side is covered by flotillad's e2e test.
const run = promisify(execFile);
const nodeId = `sec${randomBytes(4).toString('hex')}`;
const VALUE = `v-${randomBytes(12).toString('hex')}`;
const executor = new DockerExecutor(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
const logLines: string[] = [];
const log: Logger = createLogger({
  component: 'agent-secrets-test',
  nodeId,
  level: 'debug',
  destination: new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) }),
});

let cluster: TestCluster;
let backend: MemoryDispatcherBackend;
let dispatcher: Dispatcher;
let secrets: TaskSecretServer;
let data: TempDir;
let agent: Agent;
const asked: string[] = [];

function taskWithSecret(id: string): Task {
  const t = assignedTask(id, nodeId, ['sleep', '300']);
  t.spec!.container!.secrets = [{ secretId: 'sid1', secretName: 'db_pass', target: 'db_pass', uid: '0', gid: '0', mode: 0o400 }];
  t.spec!.container!.configs = [{ configId: 'cid1', configName: 'app.conf', target: '/etc/app/app.conf', uid: '7', gid: '8', mode: 0o440 }];
  return t;
}

beforeAll(async () => {
  cluster = await startTestCluster([nodeId]);
  data = await tempDir('flotilla-agent-secrets-');
  backend = new MemoryDispatcherBackend(250);
  dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend, logger: log });
  await dispatcher.start();
  secrets = new TaskSecretServer({
    nc: cluster.manager.nc,
    subjects: cluster.subjects,
    sessionOf: (id) => dispatcher.sessionOf(id),
    logger: log,
    source: {
      secretsForTask: async (node, taskId) => {
        asked.push(taskId);
        const t = backend.tasks.get(taskId);
        if (t?.nodeId !== node) throw new SecretsRefused(`task ${taskId} is not assigned to node ${node}`);
        return [{ secretId: 'sid1', name: 'db_pass', data: Buffer.from(VALUE) }];
      },
      configsForTask: async (node, taskId) => {
        const t = backend.tasks.get(taskId);
        if (t?.nodeId !== node) throw new SecretsRefused(`task ${taskId} is not assigned to node ${node}`);
        return [{ configId: 'cid1', name: 'app.conf', data: Buffer.from('listen 8080\n') }];
      },
    },
  });
  secrets.start();
  const bus = await cluster.worker(nodeId);
  agent = new Agent({ nodeId, nc: bus.nc, subjects: cluster.subjects, executor, dataDir: join(data.path, 'agent'), logger: log, statusDelayMs: 10, secretsRoot: join(data.path, 'run-secrets') });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await secrets?.stop();
  await dispatcher?.stop();
  await cluster?.stop();
  const left = await executor.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE_ID}=${nodeId}`] } });
  for (const c of left) await executor.remove(c.Id);
  await run('sh', ['-c', `for m in $(grep -o '${data?.path}/run-secrets/[^ ]*' /proc/mounts); do umount "$m"; done`]).catch(() => undefined);
  await data?.cleanup();
});

const containerOf = (taskId: string) => backend.tasks.get(taskId)?.status?.container?.containerId ?? '';
const isMounted = (dir: string) => run('mountpoint', ['-q', dir]).then(() => true, () => false);
const wait = { timeoutMs: 30_000 };

describe('task secrets on the agent (real NATS, Docker, tmpfs)', () => {
  const id = `${nodeId}-s1`;
  const dir = () => join(data.path, 'run-secrets', nodeId, id);

  it('mounts the value read-only at /run/secrets/<target> from a tmpfs, mode as asked', async () => {
    backend.put(taskWithSecret(id));
    await waitFor(() => backend.stateOf(id) === TaskState.TASK_STATE_RUNNING, { what: 'task RUNNING', ...wait });
    const { stdout } = await run('docker', ['exec', containerOf(id), 'cat', '/run/secrets/db_pass']);
    expect(stdout).toBe(VALUE);
    const { stdout: mode } = await run('docker', ['exec', containerOf(id), 'stat', '-c', '%a %u', '/run/secrets/db_pass']);
    expect(mode.trim()).toBe('400 0');
    const write = await run('docker', ['exec', containerOf(id), 'sh', '-c', 'echo x > /run/secrets/db_pass']).then(() => 'written', (e: Error) => e.message);
    expect(write).toContain('Read-only file system');
    expect(await isMounted(dir())).toBe(true);
    expect((await stat(dir())).mode & 0o777).toBe(0o700);
    const { stdout: fsType } = await run('stat', ['-f', '-c', '%T', dir()]);
    expect(fsType.trim()).toBe('tmpfs');
  });

  it('mounts a config read-only at its own path with its owner and mode (issue 15)', async () => {
    await waitFor(() => backend.stateOf(id) === TaskState.TASK_STATE_RUNNING, { what: 'task RUNNING', ...wait });
    const { stdout } = await run('docker', ['exec', containerOf(id), 'cat', '/etc/app/app.conf']);
    expect(stdout).toBe('listen 8080\n');
    const { stdout: mode } = await run('docker', ['exec', containerOf(id), 'stat', '-c', '%a %u %g', '/etc/app/app.conf']);
    expect(mode.trim()).toBe('440 7 8');
    const write = await run('docker', ['exec', containerOf(id), 'sh', '-c', 'echo x > /etc/app/app.conf']).then(() => 'written', (e: Error) => e.message);
    expect(write).toContain('Read-only file system');
  });

  it('keeps the value out of the agent state file and its log', async () => {
    const files = await readdir(join(data.path, 'agent'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect((await readFile(join(data.path, 'agent', f))).includes(Buffer.from(VALUE))).toBe(false);
    expect(logLines.some((l) => l.includes('task secrets mounted on tmpfs'))).toBe(true);
    expect(logLines.some((l) => l.includes(VALUE))).toBe(false);
  });

  it('unmounts and removes the tmpfs with the task', async () => {
    const container = containerOf(id);
    backend.setDesiredState(id, TaskState.TASK_STATE_SHUTDOWN);
    await waitFor(async () => !(await executor.docker.getContainer(container).inspect().then(() => true, () => false)), { what: 'container removed', ...wait });
    await waitFor(async () => !(await isMounted(dir())), { what: 'tmpfs unmounted', ...wait });
    await waitFor(async () => (await stat(dir()).then(() => true, () => false)) === false, { what: 'dir removed', ...wait });
  });

  it('a task whose secrets the dispatcher refuses fails with the reason, and nothing is mounted', async () => {
    const other = `${nodeId}-s2`;
    const t = taskWithSecret(other);
    backend.put(t);
    // The dispatcher's source now says the task belongs elsewhere.
    backend.tasks.set(other, { ...backend.tasks.get(other)!, nodeId: 'someone-else' });
    await waitFor(() => asked.includes(other), { what: 'agent asked for the secrets', ...wait });
    await waitFor(() => backend.stateOf(other) === TaskState.TASK_STATE_REJECTED || backend.stateOf(other) === TaskState.TASK_STATE_FAILED, {
      what: 'task failed',
      ...wait,
    });
    expect(backend.tasks.get(other)?.status?.err).toContain(`task ${other} is not assigned to node ${nodeId}`);
    expect(await isMounted(join(data.path, 'run-secrets', nodeId, other))).toBe(false);
  });
});
