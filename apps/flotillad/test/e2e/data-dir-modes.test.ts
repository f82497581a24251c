// The data dir is private (issue 20, item 3): a real manager on 127.0.8.3 with a service and a
// secret leaves only 0600 files and 0700 folders (the Raft log holds the CA key and the tokens);
// loosened by hand while it is stopped, they are made private again at the next start, with
// one warning.
import { chmod, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.8.3';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;

let cluster: LoopbackCluster;
let m: LoopbackHost;

/** Every path under the data dir (but plugins/) whose mode is not private, with its mode. */
async function loosePaths(dir: string, top = true): Promise<string[]> {
  const loose: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (top && e.name === 'plugins') continue;
    const p = join(dir, e.name);
    const mode = (await stat(p)).mode & 0o777;
    if (e.isDirectory()) {
      if (mode !== 0o700) loose.push(`${p} ${mode.toString(8)}`);
      loose.push(...(await loosePaths(p, false)));
    } else if (e.isFile() && (mode & 0o077) !== 0) loose.push(`${p} ${mode.toString(8)}`);
  }
  return loose;
}

async function walFile(): Promise<string> {
  const wal = join(m.dataDir, 'swarm', 'raft', 'wal');
  const [first] = (await readdir(wal)).filter((f) => f.endsWith('.wal')).sort();
  return join(wal, first!);
}

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: [ADDR], names: ['modes-m'], tmpPrefix: 'flotillad-modes-' });
  m = cluster.hosts[0]!;
  const out = await cluster.ok(m, 'swarm', 'init', '--advertise-addr', m.addr, '--listen-addr', `${m.addr}:${cluster.joinPort}`);
  m.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
}, LONG);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('the data dir is private', () => {
  it('a working manager writes only 0600 files and 0700 folders', async () => {
    const secret = join(cluster.dir, 'pw.txt');
    await writeFile(secret, 'hush');
    await cluster.ok(m, 'secret', 'create', 'pw', secret);
    await cluster.ok(m, 'service', 'create', '--detach', '--name', 'app', '--secret', 'pw', '--stop-grace-period', '1s', IMAGE, 'sleep', '100000');
    await waitFor('app at 1/1', async () => ((await cluster.ok(m, 'service', 'ls')).includes(' 1/1 ') ? true : undefined), LONG);
    expect(await walFile()).toMatch(/\.wal$/);
    expect(await loosePaths(m.dataDir)).toEqual([]);
  }, LONG);

  it('loosened while stopped, it is made private again at start, with a warning', async () => {
    m.daemon!.child.kill('SIGTERM');
    await m.daemon!.exited;
    const wal = await walFile();
    await chmod(wal, 0o644);
    await chmod(join(m.dataDir, 'swarm', 'raft'), 0o755);
    expect((await loosePaths(m.dataDir)).length).toBe(2);
    await cluster.start(m);
    expect(await loosePaths(m.dataDir)).toEqual([]);
    const log = `${m.daemon!.stdout()}\n${m.daemon!.stderr()}`;
    expect(log).toContain('data dir had files or folders others could read; made them private');
    expect(log).toMatch(/"fixed":2/);
    await waitFor('the manager serving again', async () => ((await cluster.cli(m, 'service', 'ls')).code === 0 ? true : undefined), LONG);
  }, LONG * 2);
});
