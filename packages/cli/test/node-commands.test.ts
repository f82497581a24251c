import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Task, TaskState } from '@flotilla/api';
import { nodePsTargets, nodeRmTargets, orderNodeTasks } from '../src/commands/node-tasks.js';
import { CliError } from '../src/errors.js';
import { runBuiltCli } from './helpers/run-cli.js';

const task = (id: string, serviceId: string, serviceName: string, slot: number, createdAt: number): Task =>
  Task.fromPartial({ id, serviceId, serviceName, slot, desiredState: TaskState.TASK_STATE_RUNNING, meta: { createdAt } });

describe('node ps / node rm arguments', () => {
  it('node ps defaults to this node and keeps the nodes it is given in order', () => {
    expect(nodePsTargets([])).toEqual(['self']);
    expect(nodePsTargets(['n2', 'self'])).toEqual(['n2', 'self']);
  });

  it('node rm refuses an empty node list as a usage error (exit 2)', () => {
    expect(() => nodeRmTargets([])).toThrow(CliError);
    try {
      nodeRmTargets([]);
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
    expect(nodeRmTargets(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('orders a node\'s tasks per service, so equal slots of two services never mix', () => {
    const rows = orderNodeTasks([
      task('w1-old', 'svc-web', 'web', 1, 1),
      task('a1', 'svc-api', 'api', 1, 5),
      task('w1-new', 'svc-web', 'web', 1, 2),
      task('w2', 'svc-web', 'web', 2, 3),
    ]);
    expect(rows.map((r) => [r.task.id, r.history])).toEqual([
      ['a1', false],
      ['w1-new', false],
      ['w1-old', true],
      ['w2', false],
    ]);
  });
});

describe('the built flotilla CLI, node ps / node rm', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-node-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('node rm without a NODE is a usage error before any connection', async () => {
    const run = await runBuiltCli(['-H', `unix://${join(dir, 'none.sock')}`, 'node', 'rm']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing required argument 'nodes'");
  });

  it('node ps refuses a filter key tasks do not have (exit 1) and a malformed one (exit 2), never dialling the daemon', async () => {
    const host = `unix://${join(dir, 'none.sock')}`;
    const unknown = await runBuiltCli(['-H', host, 'node', 'ps', '--filter', 'mode=global']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("flotilla: invalid filter 'mode'\n");
    const malformed = await runBuiltCli(['-H', host, 'node', 'ps', '--filter', 'web']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe('flotilla: invalid argument "web" for "-f, --filter" flag: bad format of filter (expected name=value)\n');
  });

  it.each([[['node', 'ps']], [['node', 'rm', '--force', 'abc']]])('%j with no daemon says so in one line and exits 1', async (args) => {
    const host = `unix://${join(dir, 'none.sock')}`;
    const run = await runBuiltCli(['-H', host, ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`flotilla: cannot connect to flotillad at ${host}: is it running?\n`);
  });
});
