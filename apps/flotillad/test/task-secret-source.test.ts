// The store side of secrets on a real Raft member (real WAL and snapshots on disk, real
// nats-server for its transport): values rest sealed, a snapshot holds no plain value, and
// the source the dispatcher uses opens values only for the asking node's live task.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Secret, Task, TaskState } from '@flotilla/api';
import { createRootCa, deriveSecretsKey, sealSecretValue } from '@flotilla/ca';
import { SecretsRefused } from '@flotilla/dispatcher';
import { RaftMember } from '@flotilla/raft';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStore } from '../src/manager/store-writer.js';
import { StoreTaskSecretSource } from '../src/manager/task-secret-source.js';

const log = pino({ level: 'silent' });
const key = deriveSecretsKey(createRootCa({ clusterId: 'secsrc' }).keyPem, 'secsrc');
const VALUE = 'plain-value-that-must-never-rest-on-disk';
let tmp: TempDir;
let nats: TestNats;
let member: RaftMember;

const task = (id: string, nodeId: string, desiredState: TaskState, secretIds: string[]) =>
  Task.fromPartial({
    id,
    serviceId: 'svc',
    slot: 1,
    nodeId,
    desiredState,
    status: { state: TaskState.TASK_STATE_ASSIGNED },
    spec: { container: { image: 'img', secrets: secretIds.map((s) => ({ secretId: s, secretName: `name-${s}`, target: s })) } },
  });

beforeAll(async () => {
  tmp = await tempDir('flotillad-secsource-');
  nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
  const bus = await nats.connect('m1');
  // A snapshot every few entries, so the test sees one written to disk.
  member = await RaftMember.start({ id: 1, clusterId: 'secsrc', dataDir: join(tmp.path, 'raft'), nc: bus.nc, bootstrap: [1], tickMs: 20, logger: log, snapshotEvery: 3 });
  await waitFor(() => member.isLeader, { what: 'the single member to lead' });
  await writeStore(member, (_v, tx) => {
    tx.create('secret', Secret.fromPartial({ id: 'sec1', spec: { annotations: { name: 'db_pass' } }, sealed: sealSecretValue(key, 'sec1', Buffer.from(VALUE)), size: VALUE.length }));
  });
  await writeStore(member, (_v, tx) => {
    tx.create('task', task('t-live', 'n1', TaskState.TASK_STATE_RUNNING, ['sec1']));
    tx.create('task', task('t-stopping', 'n1', TaskState.TASK_STATE_SHUTDOWN, ['sec1']));
    tx.create('task', task('t-orphan-ref', 'n1', TaskState.TASK_STATE_RUNNING, ['gone']));
  });
  for (let i = 0; i < 4; i += 1) await writeStore(member, (_v, tx) => void tx.create('task', task(`pad-${i}`, 'n9', TaskState.TASK_STATE_RUNNING, [])));
  await waitFor(() => member.stats.snapshotsTaken > 0, { what: 'a Raft snapshot taken' });
}, 60_000);

afterAll(async () => {
  await member?.stop();
  await nats?.stop();
  await tmp?.cleanup();
});

async function filesContaining(root: string, needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    // A snapshot is written in the background under a temp name, then renamed: it may be gone by now.
    const bytes = await readFile(join(e.parentPath, e.name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (bytes?.includes(Buffer.from(needle))) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe('secrets in the store (real Raft member, WAL and snapshot on disk)', () => {
  it('no WAL or snapshot file holds the plain value; the same search finds the name in them', async () => {
    const raftDir = join(tmp.path, 'raft');
    const withName = await filesContaining(raftDir, 'db_pass');
    expect(withName.some((p) => /snap/i.test(p)), withName.join(', ')).toBe(true);
    expect(await filesContaining(raftDir, VALUE)).toEqual([]);
  });

  it('opens the values of a live task for the node it is assigned to', async () => {
    const source = new StoreTaskSecretSource(member, () => key);
    const values = await source.secretsForTask('n1', 't-live');
    expect(values.map((v) => [v.secretId, v.name, Buffer.from(v.data).toString()])).toEqual([['sec1', 'db_pass', VALUE]]);
  });

  it('refuses another node, an unknown task, and a task being shut down', async () => {
    const source = new StoreTaskSecretSource(member, () => key);
    await expect(source.secretsForTask('n2', 't-live')).rejects.toThrow(new SecretsRefused('task t-live is not assigned to node n2'));
    await expect(source.secretsForTask('n1', 'nope')).rejects.toBeInstanceOf(SecretsRefused);
    await expect(source.secretsForTask('n1', 't-stopping')).rejects.toThrow('task t-stopping is being shut down');
  });

  it('says which secret is gone when a task refers to one that no longer exists', async () => {
    const source = new StoreTaskSecretSource(member, () => key);
    await expect(source.secretsForTask('n1', 't-orphan-ref')).rejects.toThrow('secret name-gone used by task t-orphan-ref no longer exists');
  });
});
