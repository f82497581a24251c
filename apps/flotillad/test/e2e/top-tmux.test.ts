// `flotilla top` on a real terminal (issue 23): a real manager on 127.0.8.2, the CLI running in a
// detached tmux session (a real pty, 120x40), the screen read back with `tmux capture-pane`.
// A service created from another CLI shows on the screen from the event stream (how long it took
// is printed, not asserted: speed is for benchmarks); `q` quits and gives the shell's screen back.
// Piped, `top` prints one snapshot and exits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { CLI_MAIN, runToEnd } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.8.2';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const SESSION = `flotilla-top-${process.pid}`;

let cluster: LoopbackCluster;
let m: LoopbackHost;

const tmux = (...args: string[]) => runToEnd('tmux', args);
const screen = async () => (await tmux('capture-pane', '-p', '-t', SESSION)).stdout;

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: [ADDR], names: ['top-m'], tmpPrefix: 'flotillad-top-' });
  m = cluster.hosts[0]!;
  const out = await cluster.ok(m, 'swarm', 'init', '--advertise-addr', m.addr, '--listen-addr', `${m.addr}:${cluster.joinPort}`);
  m.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
}, LONG);

afterAll(async () => {
  await tmux('kill-session', '-t', SESSION);
  await cluster?.stop();
}, LONG);

describe('flotilla top', () => {
  it('on a terminal: shows a service created elsewhere from the event stream, and q quits', async () => {
    const started = await tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', process.execPath, CLI_MAIN, '-H', `unix://${m.socket}`, 'top');
    expect(started.code, started.stderr).toBe(0);
    await waitFor('top to draw its first screen', async () => ((await screen()).includes('NODES') ? true : undefined), 15_000);
    expect(await screen()).toMatch(/top-m +Ready +Active +Leader/);
    expect(await screen()).toContain('(none)');

    const t0 = Date.now();
    await cluster.ok(m, 'service', 'create', '--detach', '--name', 'topweb', '--replicas', '2', IMAGE, 'sleep', '100000');
    await waitFor('the new service on the screen', async () => ((await screen()).includes('topweb') ? true : undefined), 15_000);
    console.log(`flotilla top: topweb on screen ${Date.now() - t0} ms after service create returned`);
    expect(await screen()).toMatch(/EVENTS \(newest first\)[\s\S]*service create/);
    await waitFor('2/2 running on the screen', async () => ((await screen()).match(/topweb +replicated +2\/2/) ? true : undefined), LONG);

    await tmux('send-keys', '-t', SESSION, 'q');
    await waitFor('top to exit on q', async () => ((await tmux('has-session', '-t', SESSION)).code !== 0 ? true : undefined), 10_000);
  }, LONG * 2);

  it('piped: one snapshot, then it exits', async () => {
    const run = await runToEnd(process.execPath, [CLI_MAIN, '-H', `unix://${m.socket}`, 'top']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^flotilla top .* nodes 1\/1 ready {2}services 1/);
    expect(run.stdout).toMatch(/topweb +replicated/);
    expect(run.stdout).not.toContain('\x1b[');
  });
});
