import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { LogChunk, LogControlKind, LogSource, LogStreamControl, LogStreamControlReply, type LogOptions } from '@flotilla/api';
import { request, silentLogger, subscribeMessages, type BusConnection } from '@flotilla/bus';
import { waitFor } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerExecutor, LABEL_NODE_ID, LABEL_TASK_ID, LogServer } from '../../src/index.js';
// Real nats-server with the production permissions (the worker may publish only its own
// logs subject) and real containers of the local flotilla/busybox image.
import { startTestCluster, type TestCluster } from '../../../dispatcher/test/support/cluster.js';

const run = promisify(execFile);
const nodeId = `logs${randomBytes(4).toString('hex')}`;
const executor = new DockerExecutor(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
let cluster: TestCluster;
let manager: BusConnection;
let server: LogServer;

async function taskContainer(taskId: string, script: string, tty = false): Promise<void> {
  const args = ['run', '-d', '--label', `${LABEL_TASK_ID}=${taskId}`, '--label', `${LABEL_NODE_ID}=${nodeId}`];
  if (tty) args.push('-t');
  await run('docker', [...args, 'flotilla/busybox:latest', 'sh', '-c', script]);
}

interface Reading {
  chunks: LogChunk[];
  lines(): string[];
  ended(): boolean;
  stop(): Promise<void>;
}

/** What a manager does: subscribe to the stream, open it, ack every chunk as it is handled (unless told not to). */
async function read(taskId: string, options: Partial<LogOptions>, opts: { window?: number; ack?: boolean } = {}): Promise<Reading> {
  const streamId = `st${randomBytes(6).toString('hex')}`;
  const chunks: LogChunk[] = [];
  const control = (req: Partial<LogStreamControl>) =>
    request(manager.nc, cluster.subjects.node.logs(nodeId), LogStreamControl, LogStreamControl.fromPartial({ streamId, ...req }), LogStreamControlReply, { timeoutMs: 5_000 });
  const sub = subscribeMessages(manager.nc, cluster.subjects.logs.stream(nodeId, streamId), LogChunk, async (chunk) => {
    chunks.push(chunk);
    if (opts.ack !== false) await control({ kind: LogControlKind.LOG_CONTROL_ACK, ackedSeq: chunk.seq });
  });
  await manager.nc.flush();
  await control({ kind: LogControlKind.LOG_CONTROL_OPEN, taskId, window: opts.window ?? 0, options: { follow: false, tail: -1, sinceUnixMs: 0, timestamps: false, ...options } });
  return {
    chunks,
    lines: () => chunks.flatMap((c) => c.lines.map((l) => `${l.source === LogSource.LOG_SOURCE_STDERR ? 'err' : 'out'}:${l.text}`)),
    ended: () => chunks.some((c) => c.end),
    stop: async () => {
      await control({ kind: LogControlKind.LOG_CONTROL_CANCEL }).catch(() => undefined);
      await sub.stop();
    },
  };
}

beforeAll(async () => {
  cluster = await startTestCluster([nodeId]);
  // A manager's requests need an inbox inside the cluster's subjects, as flotillad's have.
  manager = await cluster.nats.connect('m1', { inboxPrefix: cluster.subjects.node.inboxPrefix('m1') });
  const worker = await cluster.worker(nodeId);
  server = new LogServer({ nodeId, nc: worker.nc, subjects: cluster.subjects, docker: executor.docker, log: silentLogger(), timings: { ackTimeoutMs: 1_000, keepAliveMs: 200 } });
  server.start();
});

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
  const left = await executor.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE_ID}=${nodeId}`] } });
  for (const c of left) await executor.remove(c.Id);
});

const wait = { timeoutMs: 30_000 };

describe('LogServer (real nats-server with worker permissions, real Docker)', () => {
  it('streams every line of an exited container in order, stdout and stderr apart, in numbered chunks, through a small window', async () => {
    await taskContainer('t-many', 'i=1; while [ $i -le 3000 ]; do echo "out $i"; i=$((i+1)); done; echo "to stderr" >&2');
    await waitFor(async () => !(await executor.docker.listContainers({ filters: { label: [`${LABEL_TASK_ID}=t-many`] } })).length, { what: 't-many exited', ...wait });
    const r = await read('t-many', {}, { window: 2 });
    await waitFor(r.ended, { what: 'the end chunk', ...wait });
    // The engine copies stdout and stderr through separate pipes, so the one stderr line may be
    // logged among the last stdout lines: order is only guaranteed within a stream.
    expect(r.lines().filter((l) => l.startsWith('out:'))).toEqual(Array.from({ length: 3000 }, (_, i) => `out:out ${i + 1}`));
    expect(r.lines().filter((l) => !l.startsWith('out:'))).toEqual(['err:to stderr']);
    expect(r.chunks.map((c) => c.seq)).toEqual(r.chunks.map((_, i) => i + 1));
    expect(r.chunks.at(-1)?.error).toBe('');
    expect(r.chunks.flatMap((c) => c.lines).every((l) => /^\d{4}-\d\d-\d\dT.*Z$/.test(l.timestamp))).toBe(true);
    await r.stop();
  });

  it('--tail gives the last lines; a TTY container is read as one raw stream', async () => {
    await taskContainer('t-tty', 'echo a; echo b; echo c >&2; echo d', true);
    await waitFor(async () => !(await executor.docker.listContainers({ filters: { label: [`${LABEL_TASK_ID}=t-tty`] } })).length, { what: 't-tty exited', ...wait });
    const r = await read('t-tty', { tail: 2 });
    await waitFor(r.ended, { what: 'the end chunk', ...wait });
    expect(r.lines()).toEqual(['out:c', 'out:d']);
    await r.stop();
  });

  it('follows a running container, keeps the reader informed while idle, and stops on cancel', async () => {
    await taskContainer('t-follow', 'echo first; while true; do echo tick; sleep 1; done');
    const r = await read('t-follow', { follow: true });
    await waitFor(() => r.lines().filter((l) => l === 'out:tick').length >= 2, { what: 'two ticks while following', ...wait });
    expect(r.lines()[0]).toBe('out:first');
    await waitFor(() => r.chunks.some((c) => c.lines.length === 0 && !c.end), { what: 'a keep-alive chunk', ...wait });
    await r.stop();
    await waitFor(() => server.openStreams === 0, { what: 'the stream forgotten', ...wait });
  });

  it('ends a stream whose reader stopped acknowledging', async () => {
    await taskContainer('t-noack', 'while true; do echo spam; sleep 0.1; done');
    const r = await read('t-noack', { follow: true }, { window: 1, ack: false });
    await waitFor(() => r.chunks.length === 1, { what: 'the one chunk the window allows', ...wait });
    await waitFor(() => server.openStreams === 0, { what: 'the agent to give up on the silent reader', ...wait });
    expect(r.chunks).toHaveLength(1);
    await r.stop();
  });

  it('answers a task without a container on this node with one end chunk saying so', async () => {
    const r = await read('t-nowhere', {});
    await waitFor(r.ended, { what: 'the end chunk', ...wait });
    expect(r.chunks).toEqual([expect.objectContaining({ seq: 1, end: true, error: expect.stringContaining('task t-nowhere has no container on this node') })]);
    await r.stop();
  });
});
