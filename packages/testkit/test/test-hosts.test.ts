// The test-host harness on real network namespaces, veths, a bridge, iptables
// and (in one test) real Docker Engines. Needs root, iproute2, iptables,
// nsenter, busybox, and for the engine test docker.io with flotilla/busybox:latest.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestHosts, sweepLeftovers, waitFor, type TestHost, type TestHosts } from '../src/index.js';
import { isRunning } from '../src/test-hosts/processes.js';
import { listLinks, listNetns } from '../src/test-hosts/teardown.js';
import { runSync } from '../src/test-hosts/commands.js';

const HARNESS = fileURLToPath(new URL('../src/test-hosts/index.ts', import.meta.url));
const PING = ['busybox', 'ping', '-c', '1', '-W', '1'];

/** Everything of run `prefix-runId` still on the machine, by kind; empty when the run is fully gone. */
function leftovers(prefix: string, runId: string): string[] {
  const tag = `${prefix}-${runId}`;
  const found: string[] = [];
  for (const ns of listNetns()) if (ns.startsWith(`${tag}-`)) found.push(`netns ${ns}`);
  for (const link of listLinks()) if (link.startsWith(`${prefix}${runId}`)) found.push(`link ${link}`);
  const rules = runSync(['iptables', '-w', '-S', 'FORWARD'], { what: 'listing FORWARD rules' }).stdout;
  for (const line of rules.split('\n')) if (line.includes(tag)) found.push(`rule ${line}`);
  for (const path of [`/run/${tag}`, `/run/${tag}.owner`, `${tmpdir()}/${tag}`]) if (existsSync(path)) found.push(`path ${path}`);
  for (const name of readdirSync('/run')) {
    if (name.startsWith(`${prefix}-subnet-`) && readFileSync(`/run/${name}`, 'utf8').trim() === runId) found.push(`claim ${name}`);
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(tag)) found.push(`mount ${line.split(' ')[4]}`);
  return found;
}

/** A TCP echo server started with Node inside `host`'s namespace; resolves with the port it listens on. */
async function startEchoServer(host: TestHost): Promise<{ child: ChildProcess; port: number }> {
  const script = `
    const net = require('node:net');
    const srv = net.createServer((s) => s.pipe(s));
    srv.listen(0, ${JSON.stringify(host.addr)}, () => console.log(srv.address().port));`;
  const child = host.spawn([process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (l) => resolve(Number(l)));
    child.once('exit', (code) => reject(new Error(`echo server on ${host.name} exited with ${String(code)} before listening`)));
  });
  return { child, port };
}

/** Connects from inside `from`'s namespace with Node, sends a line, and returns what came back. */
async function echoFrom(from: TestHost, addr: string, port: number): Promise<string> {
  const script = `
    const s = require('node:net').connect(${port}, ${JSON.stringify(addr)}, () => s.write('hello from ${from.name}'));
    s.setTimeout(2000, () => { console.error('timeout'); process.exit(2); });
    s.on('data', (d) => { process.stdout.write(d); s.destroy(); });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
  return (await from.exec([process.execPath, '-e', script])).stdout;
}

describe('test hosts on real namespaces', () => {
  let th: TestHosts | undefined;
  afterEach(async () => {
    await th?.destroy();
    th = undefined;
  });

  it('gives each host its namespace, address and a working path to the other over the bridge', async () => {
    th = await createTestHosts({ count: 2 });
    const [h1, h2] = th.hosts as [TestHost, TestHost];
    expect(h1.addr).not.toBe(h2.addr);
    const addrs = (await h1.exec(['ip', '-o', '-4', 'addr', 'show'])).stdout;
    expect(addrs).toContain(`inet ${h1.addr}/24`);
    expect(addrs).toMatch(/\blo\s+inet 127\.0\.0\.1\/8/);
    expect((await h1.exec(['ip', 'route', 'show', 'default'])).stdout).toContain(`via ${th.gateway}`);

    expect((await h1.exec([...PING, h2.addr])).stdout).toContain('1 packets received');
    expect((await h2.exec([...PING, th.gateway])).stdout).toContain('1 packets received');

    const server = await startEchoServer(h2);
    expect(await echoFrom(h1, h2.addr, server.port)).toBe('hello from h1');
    // The server listens on h2's address in h2's namespace only: the root namespace has no such listener.
    expect(h2.pids()).toContain(server.child.pid);
  });

  it('cutOff makes a host unreachable both ways, heal brings it back', async () => {
    th = await createTestHosts({ count: 3 });
    const [h1, h2, h3] = th.hosts as [TestHost, TestHost, TestHost];
    const server = await startEchoServer(h2);
    expect(await echoFrom(h1, h2.addr, server.port)).toBe('hello from h1');

    await th.cutOff(h2);
    await th.cutOff(h2); // twice is the same as once
    expect((await h1.exec([...PING, h2.addr], { allowFailure: true })).code).not.toBe(0);
    expect((await h2.exec([...PING, h3.addr], { allowFailure: true })).code).not.toBe(0);
    expect((await h2.exec([...PING, th.gateway], { allowFailure: true })).code).not.toBe(0);
    await expect(echoFrom(h1, h2.addr, server.port)).rejects.toThrow(/timeout|ETIMEDOUT|EHOSTUNREACH/);
    // Nor over IPv6: the link-local address of h2's link does not answer either.
    const h2v6 = /inet6 (fe80::[0-9a-f:]+)\/64/.exec((await h2.exec(['ip', '-6', 'addr', 'show', 'dev', 'eth0'])).stdout)?.[1];
    expect(h2v6).toBeDefined();
    expect((await h1.exec(['busybox', 'ping6', '-c', '1', '-W', '1', `${h2v6 as string}%eth0`], { allowFailure: true })).code).not.toBe(0);
    // Others still talk, and the cut-off host still talks to itself over loopback.
    expect((await h1.exec([...PING, h3.addr])).code).toBe(0);
    expect((await h2.exec([...PING, '127.0.0.1'])).code).toBe(0);

    await th.heal(h2);
    expect((await h1.exec([...PING, h2.addr])).code).toBe(0);
    // IPv6 neighbour discovery failed during the cut: after heal it resolves again, on the
    // kernel's retry schedule (seconds under load), so this waits for it with a deadline.
    await waitFor(async () => (await h1.exec(['busybox', 'ping6', '-c', '1', '-W', '1', `${h2v6 as string}%eth0`], { allowFailure: true })).code === 0, {
      what: 'h1 to reach h2 over IPv6 link-local again after heal',
      timeoutMs: 15_000,
    });
    expect(await echoFrom(h3, h2.addr, server.port)).toBe('hello from h3');
    let rules = '';
    for (const bin of ['iptables', 'ip6tables']) for (const table of ['raw', 'mangle']) rules += (await h2.exec([bin, '-w', '-t', table, '-S'])).stdout;
    expect(rules).not.toContain('flt-cutoff');
  });

  it('kill stops every process of one host and leaves the others running', async () => {
    th = await createTestHosts({ count: 2 });
    const [h1, h2] = th.hosts as [TestHost, TestHost];
    const sleeper = h1.spawn(['busybox', 'sleep', '1000'], { stdio: 'ignore' });
    const other = h2.spawn(['busybox', 'sleep', '1000'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => sleeper.once('exit', (_code, signal) => resolve(signal)));
    expect(h1.pids()).toEqual([sleeper.pid]);

    await th.kill(h1);
    expect(await exited).toBe('SIGKILL');
    expect(isRunning(other.pid as number)).toBe(true);
    await waitFor(() => h1.pids().length === 0, { what: 'h1 to have no tracked processes' });
    expect(h2.pids()).toEqual([other.pid]);
  });

  it('destroy leaves no namespace, link, FORWARD rule, directory or process behind, and is safe twice', async () => {
    const hosts = await createTestHosts({ count: 3 });
    const server = await startEchoServer(hosts.hosts[0] as TestHost);
    await hosts.cutOff(hosts.hosts[1] as TestHost);
    const before = leftovers('flt', hosts.runId);
    expect(before.filter((l) => l.startsWith('netns'))).toHaveLength(3);
    expect(before.filter((l) => l.startsWith('link'))).toHaveLength(4);
    expect(before.filter((l) => l.startsWith('rule'))).toHaveLength(3);

    await hosts.destroy();
    await hosts.destroy();
    expect(leftovers('flt', hosts.runId)).toEqual([]);
    expect(isRunning(server.child.pid as number)).toBe(false);
  });

  it('runs made at the same time get their own bridges and subnets and do not see each other', async () => {
    const [a, b] = await Promise.all([createTestHosts({ count: 2 }), createTestHosts({ count: 2 })]);
    try {
      expect(a.runId).not.toBe(b.runId);
      expect(a.bridge).not.toBe(b.bridge);
      expect(a.gateway).not.toBe(b.gateway);
      for (const run of [a, b]) {
        const [x, y] = run.hosts as [TestHost, TestHost];
        expect((await x.exec([...PING, y.addr])).code).toBe(0);
        expect((await x.exec([...PING, run.gateway])).code).toBe(0);
      }
      // A host of one run cannot reach the other run's hosts: separate bridges, and the runs' FORWARD rules drop what would cross.
      expect((await (a.hosts[0] as TestHost).exec([...PING, (b.hosts[0] as TestHost).addr], { allowFailure: true })).code).not.toBe(0);
      // ...and it is the runs' own DROP rules that stopped it (whichever run's rules come first), not this machine's policy.
      const counters = runSync(['iptables', '-w', '-v', '-S', 'FORWARD'], { what: 'reading FORWARD counters' }).stdout;
      const dropped = counters
        .split('\n')
        .filter((l) => (l.includes(`--comment flt-${a.runId} `) || l.includes(`--comment flt-${b.runId} `)) && l.endsWith('-j DROP'))
        .reduce((sum, l) => sum + Number(/-c (\d+) /.exec(l)?.[1] ?? 0), 0);
      expect(dropped).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
    expect([...leftovers('flt', a.runId), ...leftovers('flt', b.runId)]).toEqual([]);
  });

  it('refuses bad options before making anything', async () => {
    expect(() => sweepLeftovers('flotilla')).toThrow(/exactly 3 lowercase letters/);
    await expect(createTestHosts({ count: 0 })).rejects.toThrow(/count must be an integer from 1 to 200/);
    await expect(createTestHosts({ count: 1, prefix: 'FLT' })).rejects.toThrow(/exactly 3 lowercase letters/);
    await expect(createTestHosts({ count: 1, withDocker: true, images: [] })).rejects.toThrow(/at least one image/);
  });
});

function startOwnerProcess(mode: 'exit' | 'wait', watchdog: boolean): { child: ChildProcess; info: Promise<{ runId: string; sleeper: number; watchdogPid?: number }> } {
  const code = `
    const { createTestHosts } = await import(${JSON.stringify(HARNESS)});
    const th = await createTestHosts({ count: 2, prefix: 'flz', sweep: false, watchdog: ${String(watchdog)} });
    const sleeper = th.hosts[0].spawn(['busybox', 'sleep', '1000'], { stdio: 'ignore' });
    console.log(JSON.stringify({ runId: th.runId, sleeper: sleeper.pid, watchdogPid: th.watchdogPid }));
    ${mode === 'exit' ? 'process.exit(3);' : 'setInterval(() => {}, 1000);'}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const info = new Promise<{ runId: string; sleeper: number; watchdogPid?: number }>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as { runId: string; sleeper: number; watchdogPid?: number }));
    child.once('exit', (c, s) => reject(new Error(`owner process exited (${String(c ?? s)}) before making its hosts`)));
  });
  return { child, info };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * A separate Node process that makes test hosts (prefix `flz`, which the
 * default sweeps of parallel test runs never touch) with or without the
 * watchdog, spawns a sleeper in h1, prints `{runId, sleeper, watchdogPid}`,
 * then exits (`exit`: without destroy) or waits to be signalled (`wait`).
 * The exit-handler and sweep tests turn the watchdog off so that they test
 * the handlers and the sweep alone.
 */
describe('cleanup when the owning process ends without destroy()', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    sweepLeftovers('flz');
  });

  it('the watchdog tears down a run whose process was SIGKILLed, and leaves after destroy() otherwise', async () => {
    const owner = startOwnerProcess('wait', true);
    started.push(owner.child);
    const { runId, sleeper, watchdogPid } = await owner.info;
    expect(watchdogPid).toBeGreaterThan(0);
    expect(isRunning(watchdogPid as number)).toBe(true);
    process.kill(owner.child.pid as number, 'SIGKILL');
    await exitOf(owner.child);
    await waitFor(() => leftovers('flz', runId).length === 0, { what: `the watchdog to remove run ${runId}`, timeoutMs: 20_000 });
    await waitFor(() => !isRunning(sleeper) && !isRunning(watchdogPid as number), { what: 'the sleeper and the watchdog to be gone' });

    const th = await createTestHosts({ count: 1, prefix: 'flz', sweep: false });
    const ownWatchdog = th.watchdogPid as number;
    expect(isRunning(ownWatchdog)).toBe(true);
    await th.destroy();
    await waitFor(() => !isRunning(ownWatchdog), { what: 'the watchdog of a destroyed run to leave' });
  });

  it('tears the run down from the exit handler when the process exits', async () => {
    const owner = startOwnerProcess('exit', false);
    started.push(owner.child);
    const { runId, sleeper } = await owner.info;
    expect(await exitOf(owner.child)).toEqual({ code: 3, signal: null });
    expect(leftovers('flz', runId)).toEqual([]);
    expect(isRunning(sleeper)).toBe(false);
  });

  it('tears the run down on SIGTERM and still dies of the signal', async () => {
    const owner = startOwnerProcess('wait', false);
    started.push(owner.child);
    const { runId, sleeper } = await owner.info;
    expect(leftovers('flz', runId).length).toBeGreaterThan(0);
    process.kill(owner.child.pid as number, 'SIGTERM');
    expect(await exitOf(owner.child)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(leftovers('flz', runId)).toEqual([]);
    expect(isRunning(sleeper)).toBe(false);
  });

  it('sweepLeftovers removes what a SIGKILLed run left and leaves a live run alone', async () => {
    const live = await createTestHosts({ count: 2, prefix: 'flz', sweep: false, watchdog: false });
    try {
      const owner = startOwnerProcess('wait', false);
      started.push(owner.child);
      const { runId, sleeper } = await owner.info;
      process.kill(owner.child.pid as number, 'SIGKILL');
      await exitOf(owner.child);
      // SIGKILL runs no handler: the run is still there, its sleeper still runs.
      expect(leftovers('flz', runId).filter((l) => l.startsWith('netns'))).toHaveLength(2);
      expect(isRunning(sleeper)).toBe(true);

      const result = sweepLeftovers('flz-');
      expect(result.swept).toContain(runId);
      expect(result.swept).not.toContain(live.runId);
      expect(result.problems).toEqual({});
      expect(leftovers('flz', runId)).toEqual([]);
      expect(isRunning(sleeper)).toBe(false);

      const [l1, l2] = live.hosts as [TestHost, TestHost];
      expect((await l1.exec([...PING, l2.addr])).code).toBe(0);
    } finally {
      await live.destroy();
    }
    expect(leftovers('flz', live.runId)).toEqual([]);
  });
});

// Starting engines costs seconds, so the engine behaviour is checked in this one test.
describe('test hosts with their own Docker Engines', () => {
  let th: TestHosts | undefined;
  afterEach(async () => {
    await th?.destroy();
    th = undefined;
  });

  it('runs flotilla/busybox on each host engine, engines are separate, survive kill + restart, and destroy removes them', async () => {
    th = await createTestHosts({ count: 2, withDocker: true });
    const hosts = th.hosts as [TestHost, TestHost];
    const docker = (host: TestHost, args: string[], allowFailure = false) =>
      // From the root namespace, through the host engine's socket only.
      runSync(['docker', '-H', host.dockerHost as string, ...args], { what: `docker ${args[0] ?? ''} on ${host.name}`, allowFailure, timeoutMs: 60_000 });

    for (const host of hosts) {
      expect(host.dockerHost).toMatch(/^unix:\/\//);
      expect(docker(host, ['run', '--rm', 'flotilla/busybox:latest', 'echo', 'hi']).stdout).toBe('hi\n');
      // Each engine has its own bridge subnet inside its own namespace.
      expect(docker(host, ['run', '--rm', 'flotilla/busybox:latest', 'ip', '-4', 'addr', 'show', 'eth0']).stdout).toContain(`inet 172.30.${host.index}.`);
    }
    const [h1, h2] = hosts;
    // exec() points the docker CLI at the host's own engine too.
    expect((await h2.exec(['docker', 'run', '--rm', 'flotilla/busybox:latest', 'echo', 'hi'])).stdout).toBe('hi\n');
    // The engine's own iptables rules (NAT) live in the host namespace: a container on h1 reaches h2.
    expect(docker(h1, ['run', '--rm', 'flotilla/busybox:latest', 'ping', '-c', '1', '-W', '2', h2.addr]).stdout).toContain('1 packets received');

    const id = docker(h1, ['run', '-d', 'flotilla/busybox:latest', 'sleep', '1000']).stdout.trim();
    expect(docker(h1, ['ps', '-q', '--no-trunc']).stdout).toContain(id);
    expect(docker(h2, ['ps', '-q', '--no-trunc']).stdout).not.toContain(id);
    const containerPid = Number(docker(h1, ['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
    expect(isRunning(containerPid)).toBe(true);

    const enginePids = h1.pids();
    expect(enginePids.length).toBeGreaterThan(0);
    await th.kill(h1);
    expect(enginePids.filter(isRunning)).toEqual([]);
    expect(isRunning(containerPid)).toBe(false);
    expect(docker(h1, ['version'], true).code).not.toBe(0);
    expect(docker(h2, ['run', '--rm', 'flotilla/busybox:latest', 'echo', 'hi']).stdout).toBe('hi\n');

    await th.restartEngine(h1);
    expect(docker(h1, ['run', '--rm', 'flotilla/busybox:latest', 'echo', 'hi']).stdout).toBe('hi\n');

    const runId = th.runId;
    const allPids = [...h1.pids(), ...h2.pids()];
    await th.destroy();
    th = undefined;
    expect(leftovers('flt', runId)).toEqual([]);
    expect(allPids.filter(isRunning)).toEqual([]);
  });
});
