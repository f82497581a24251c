// The manager's reader of one task's log against a real nats-server with the production
// permissions. The agent side here is a scripted peer speaking the same protocol: the real one
// (tested in @flotilla/agent) cannot be made to lose a chunk or fall silent on demand.
import { join } from 'node:path';
import { LogChunk, LogControlKind, LogSource, LogStreamControl, LogStreamControlReply, type LogLine } from '@flotilla/api';
import { clusterSubjects, managerPermissions, publishMessage, serve, workerPermissions, type BusConnection, type Served } from '@flotilla/bus';
import { makeTestPki, startTestNats, tempDir, type TempDir, type TestNats } from '@flotilla/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTaskLog, type TaskLogOutcome } from '../src/logs/task-log-reader.js';

const subjects = clusterSubjects('c1');
let tmp: TempDir;
let nats: TestNats;
let manager: BusConnection;
let worker: BusConnection;
let agent: Served | undefined;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  tmp = await tempDir('flotilla-log-reader-');
  const pki = await makeTestPki(join(tmp.path, 'pki'), {
    clients: [
      { name: 'm1', cn: 'm1', ou: 'flotilla-manager', o: 'c1' },
      { name: 'n1', cn: 'n1', ou: 'flotilla-worker', o: 'c1' },
    ],
  });
  nats = await startTestNats({
    pki,
    users: [
      { user: pki.clients.m1!.dn, permissions: managerPermissions(subjects) },
      { user: pki.clients.n1!.dn, permissions: workerPermissions(subjects, 'n1') },
    ],
  });
  manager = await nats.connect('m1', { inboxPrefix: subjects.node.inboxPrefix('m1') });
  worker = await nats.connect('n1', { inboxPrefix: subjects.node.inboxPrefix('n1') });
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

afterAll(async () => {
  await nats?.stop();
  await tmp?.cleanup();
});

const line = (text: string): LogLine => ({ source: LogSource.LOG_SOURCE_STDOUT, timestamp: '', text });

/**
 * A scripted agent on n1: on OPEN runs `script(send)`; records every control request. Resolves once
 * the server holds its subscription (a flush of the agent's own connection): until then a request
 * from the manager's connection can reach the server first and find no responder ("node n1 is
 * not connected"), which made this file fail about 1 run in 4 on a loaded machine.
 */
async function scriptedAgent(script: (send: (seq: number, lines: LogLine[], end?: boolean, error?: string) => void) => void): Promise<LogStreamControl[]> {
  const seen: LogStreamControl[] = [];
  agent = serve(worker.nc, subjects.node.logs('n1'), LogStreamControl, LogStreamControlReply, (req) => {
    seen.push(req);
    if (req.kind === LogControlKind.LOG_CONTROL_OPEN) {
      const send = (seq: number, lines: LogLine[], end = false, error = '') =>
        publishMessage(worker.nc, subjects.logs.stream('n1', req.streamId), LogChunk, { streamId: req.streamId, seq, lines, end, error });
      setImmediate(() => script(send));
    }
    return { known: true };
  });
  await worker.nc.flush();
  return seen;
}

/**
 * Only the silence test shortens a timing; the others are generous, so a loaded machine (a slow
 * reply) cannot turn the outcome under test into another notice.
 */
async function read(nodeId: string, deliver: (lines: LogLine[]) => Promise<void>, silenceMs = 30_000): Promise<TaskLogOutcome> {
  return readTaskLog({
    nc: manager.nc,
    subjects,
    nodeId,
    nodeName: nodeId,
    taskId: 't1',
    options: { follow: true, tail: -1, sinceUnixMs: 0, timestamps: false },
    window: 4,
    signal: new AbortController().signal,
    deliver,
    log,
    timings: { openTimeoutMs: 10_000, silenceMs, ackTimeoutMs: 10_000 },
  });
}

describe('readTaskLog (real nats-server, production permissions)', () => {
  it('hands chunks on in order and acknowledges each only after it was handed on', async () => {
    const order: string[] = [];
    const seen = await scriptedAgent((send) => {
      send(1, [line('a'), line('b')]);
      send(2, [line('c')]);
      send(3, [], true);
    });
    const outcome = await read('n1', async (lines) => {
      await new Promise((r) => setImmediate(r));
      order.push(...lines.map((l) => `line ${l.text}`));
    });
    expect(outcome).toEqual({ kind: 'ended' });
    expect(order).toEqual(['line a', 'line b', 'line c']);
    const acks = seen.filter((c) => c.kind === LogControlKind.LOG_CONTROL_ACK).map((c) => c.ackedSeq);
    expect(acks).toEqual([1, 2]);
    expect(seen[0]).toMatchObject({ kind: LogControlKind.LOG_CONTROL_OPEN, taskId: 't1', window: 4 });
  });

  it('stops with a notice at a missing chunk instead of showing the lines around a hole', async () => {
    const got: string[] = [];
    const seen = await scriptedAgent((send) => {
      send(1, [line('a')]);
      send(3, [line('c')]);
    });
    const outcome = await read('n1', async (lines) => void got.push(...lines.map((l) => l.text)));
    expect(outcome).toEqual({ kind: 'failed', notice: expect.stringMatching(/^lost 1 log chunk\(s\) from node n1; stopping/) });
    expect(got).toEqual(['a']);
    // The agent is told to stop.
    expect(seen.some((c) => c.kind === LogControlKind.LOG_CONTROL_CANCEL)).toBe(true);
  });

  it('says so when the agent cannot read the log, when the node falls silent, and when nobody answers', async () => {
    await scriptedAgent((send) => send(1, [], true, 'task t1 has no container on this node'));
    expect(await read('n1', async () => {})).toEqual({ kind: 'failed', notice: 'cannot read the logs on node n1: task t1 has no container on this node' });
    await agent?.stop();

    await scriptedAgent(() => {});
    expect(await read('n1', async () => {}, 300)).toEqual({ kind: 'failed', notice: expect.stringMatching(/^node n1 stopped sending this task's logs/) });
    await agent?.stop();
    agent = undefined;

    expect(await read('n9', async () => {})).toEqual({ kind: 'failed', notice: expect.stringMatching(/^node n9 (is not connected|did not answer)/) });
  });
});
