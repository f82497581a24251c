import { TaskSecretsRequest, TaskSecretsResponse, type TaskConfigValue, type TaskSecretValue } from '@flotilla/api';
import { BusErrorCode, BusRequestError, request, type BusConnection } from '@flotilla/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsRefused, TaskSecretServer } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// Real nats-server with mTLS and the production worker permissions. The source stands in for
// the store (flotillad's store-backed source is exercised by the e2e test).
const VALUE = 'p4ssw0rd-for-w1-only';
const tasks = new Map<string, { nodeId: string; secrets: TaskSecretValue[]; configs: TaskConfigValue[] }>([
  ['t1', { nodeId: 'w1', secrets: [{ secretId: 's1', name: 'db_pass', data: Buffer.from(VALUE) }], configs: [{ configId: 'c1', name: 'app.conf', data: Buffer.from('listen 80') }] }],
  ['t2', { nodeId: 'w2', secrets: [], configs: [] }],
]);
const sessions = new Map([
  ['w1', 'session-w1'],
  ['w2', 'session-w2'],
]);

let cluster: TestCluster;
let server: TaskSecretServer;
let w1: BusConnection;
let w2: BusConnection;

beforeAll(async () => {
  cluster = await startTestCluster(['w1', 'w2']);
  server = new TaskSecretServer({
    nc: cluster.manager.nc,
    subjects: cluster.subjects,
    sessionOf: (nodeId) => sessions.get(nodeId),
    source: {
      secretsForTask: async (nodeId, taskId) => {
        const t = tasks.get(taskId);
        if (!t || t.nodeId !== nodeId) throw new SecretsRefused(`task ${taskId} is not assigned to node ${nodeId}`);
        return t.secrets;
      },
      configsForTask: async (nodeId, taskId) => {
        const t = tasks.get(taskId);
        if (!t || t.nodeId !== nodeId) throw new SecretsRefused(`task ${taskId} is not assigned to node ${nodeId}`);
        return t.configs;
      },
    },
  });
  server.start();
  w1 = await cluster.worker('w1');
  w2 = await cluster.worker('w2');
});

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

const ask = (w: BusConnection, asNode: string, sessionId: string, taskId: string) =>
  request(w.nc, cluster.subjects.dispatcher.secrets(asNode), TaskSecretsRequest, { sessionId, taskId, secretIds: [], configIds: [] }, TaskSecretsResponse, { timeoutMs: 3_000 });

async function refusal(p: Promise<unknown>): Promise<BusRequestError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BusRequestError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('TaskSecretServer over a real nats-server', () => {
  it('gives a node the values of its own task', async () => {
    const res = await ask(w1, 'w1', 'session-w1', 't1');
    expect(res.secrets.map((s) => [s.name, Buffer.from(s.data).toString()])).toEqual([['db_pass', VALUE]]);
  });

  it('gives a node the configs of its own task, without its secrets, when it asks for configs', async () => {
    const res = await request(w1.nc, cluster.subjects.dispatcher.secrets('w1'), TaskSecretsRequest, { sessionId: 'session-w1', taskId: 't1', secretIds: [], configIds: ['c1'] }, TaskSecretsResponse, { timeoutMs: 3_000 });
    expect(res.configs.map((c) => [c.name, Buffer.from(c.data).toString()])).toEqual([['app.conf', 'listen 80']]);
    expect(res.secrets).toEqual([]);
  });

  it('refuses configs the task does not use, and configs of a task assigned elsewhere', async () => {
    const unknown = await refusal(request(w1.nc, cluster.subjects.dispatcher.secrets('w1'), TaskSecretsRequest, { sessionId: 'session-w1', taskId: 't1', secretIds: [], configIds: ['c9'] }, TaskSecretsResponse, { timeoutMs: 3_000 }));
    expect(unknown.message).toContain('task t1 does not use config c9');
    const elsewhere = await refusal(request(w2.nc, cluster.subjects.dispatcher.secrets('w2'), TaskSecretsRequest, { sessionId: 'session-w2', taskId: 't1', secretIds: [], configIds: ['c1'] }, TaskSecretsResponse, { timeoutMs: 3_000 }));
    expect(elsewhere.code).toBe(BusErrorCode.PERMISSION_DENIED);
  });

  it('refuses a node the secrets of a task assigned elsewhere', async () => {
    const err = await refusal(ask(w2, 'w2', 'session-w2', 't1'));
    expect(err.code).toBe(BusErrorCode.PERMISSION_DENIED);
    expect(err.message).toContain('task t1 is not assigned to node w2');
    expect(err.message).not.toContain(VALUE);
  });

  it('refuses a request without the live session', async () => {
    const err = await refusal(ask(w1, 'w1', 'stale', 't1'));
    expect(err.code).toBe(BusErrorCode.NOT_FOUND);
  });

  it('a worker cannot ask in another node\'s name (NATS permissions refuse the subject)', async () => {
    // w2 even knows w1's session id here; the subject is still not its to publish on.
    const err = await ask(w2, 'w1', 'session-w1', 't1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((err as Error).message)).toContain('Permissions Violation for Publish to "flt.c1.dispatcher.secrets.w1"');
    expect(String((err as Error).message)).not.toContain(VALUE);
  });
});

describe('TaskSecretServer: one secret at a time', () => {
  it('answers only the secrets asked for, and refuses one the task does not use', async () => {
    tasks.set('t3', {
      nodeId: 'w1',
      configs: [],
      secrets: [
        { secretId: 'big1', name: 'big1', data: Buffer.alloc(500 * 1024, 1) },
        { secretId: 'big2', name: 'big2', data: Buffer.alloc(500 * 1024, 2) },
        { secretId: 'big3', name: 'big3', data: Buffer.alloc(500 * 1024, 3) },
      ],
    });
    // Three 500 KB values cannot travel in one NATS message (1 MB); one at a time they do.
    for (const [id, byte] of [['big1', 1], ['big2', 2], ['big3', 3]] as const) {
      const res = await request(w1.nc, cluster.subjects.dispatcher.secrets('w1'), TaskSecretsRequest, { sessionId: 'session-w1', taskId: 't3', secretIds: [id], configIds: [] }, TaskSecretsResponse, { timeoutMs: 5_000 });
      expect(res.secrets.map((s) => [s.secretId, s.data.length, s.data[0]])).toEqual([[id, 500 * 1024, byte]]);
    }
    const err = await refusal(request(w1.nc, cluster.subjects.dispatcher.secrets('w1'), TaskSecretsRequest, { sessionId: 'session-w1', taskId: 't1', secretIds: ['big1'], configIds: [] }, TaskSecretsResponse, { timeoutMs: 3_000 }));
    expect(err.code).toBe(BusErrorCode.PERMISSION_DENIED);
    expect(err.message).toContain('task t1 does not use secret big1');
  });
});
