// --metrics-addr end to end (issue 23): a real manager on 127.0.8.1 serving /metrics on loopback,
// scraped by a real Prometheus (Debian's `prometheus`, on loopback, started here with its own
// data dir). PromQL sees the running-task count `service ls` shows and samples of the Raft
// proposal histogram; a bad --metrics-addr is refused before anything starts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pickFreePort } from '@flotilla/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { spawnDaemon, spawnTracked, type DaemonProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.8.1';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 90_000;

let cluster: LoopbackCluster;
let m: LoopbackHost;
let metricsPort: number;
let prometheus: DaemonProcess | undefined;
let promUrl: string;

beforeAll(async () => {
  metricsPort = await pickFreePort(ADDR);
  cluster = await startLoopbackCluster({ addrs: [ADDR], names: ['metrics-m'], tmpPrefix: 'flotillad-metrics-', daemonArgs: ['--metrics-addr', `${ADDR}:${metricsPort}`] });
  m = cluster.hosts[0]!;
  const out = await cluster.ok(m, 'swarm', 'init', '--advertise-addr', m.addr, '--listen-addr', `${m.addr}:${cluster.joinPort}`);
  m.nodeId = /current node \((\w+)\)/.exec(out)![1]!;

  const promPort = await pickFreePort('127.0.0.1');
  promUrl = `http://127.0.0.1:${promPort}`;
  const config = join(cluster.dir, 'prometheus.yml');
  await writeFile(
    config,
    ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: flotilla', '    static_configs:', `      - targets: ['${ADDR}:${metricsPort}']`, ''].join('\n'),
  );
  prometheus = spawnTracked('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(cluster.dir, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ]);
}, LONG);

afterAll(async () => {
  prometheus?.child.kill('SIGKILL');
  await prometheus?.exited.catch(() => undefined);
  await cluster?.stop();
}, LONG);

/** The value of a PromQL query with one result, once Prometheus has one. */
async function promQuery(query: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { status: string; data?: { result: { value: [number, string] }[] } };
    const [first] = body.data?.result ?? [];
    return first ? Number(first.value[1]) : undefined;
  } catch {
    return undefined; // Prometheus still starting
  }
}

describe('Prometheus scrapes a manager', () => {
  it('PromQL sees the running tasks service ls shows, and Raft proposal samples', async () => {
    await cluster.ok(m, 'service', 'create', '--detach', '--name', 'web', '--replicas', '3', '--stop-grace-period', '1s', IMAGE, 'sleep', '100000');
    await waitFor('web at 3/3 in service ls', async () => ((await cluster.ok(m, 'service', 'ls')).includes(' 3/3 ') ? true : undefined), LONG);
    const running = await waitFor(
      'Prometheus to see 3 running web tasks',
      async () => ((await promQuery('sum(flotilla_tasks{service="web",state="running"})')) === 3 ? 3 : undefined),
      LONG,
    );
    expect(running).toBe(3);
    // Same figure as service ls's REPLICAS column shows running.
    expect((await cluster.ok(m, 'service', 'ls')).split('\n').find((l) => l.includes(' web '))).toContain(' 3/3 ');
    const proposals = await waitFor('proposal histogram samples', async () => {
      const n = await promQuery('sum(flotilla_store_write_duration_seconds_count)');
      return n !== undefined && n > 0 ? n : undefined;
    }, LONG);
    expect(proposals).toBeGreaterThan(0);
    expect(await waitFor('the leader gauge', async () => promQuery('flotilla_raft_is_leader'), LONG)).toBe(1);
    expect(await promQuery('sum(flotilla_nodes{state="ready",role="manager"})')).toBe(1);
  }, LONG * 3);

  it('scaling down shows in the next scrape', async () => {
    await cluster.ok(m, 'service', 'scale', '--detach', 'web=1');
    const running = await waitFor(
      'Prometheus to see 1 running web task',
      async () => ((await promQuery('sum(flotilla_tasks{service="web",state="running"})')) === 1 ? 1 : undefined),
      LONG,
    );
    expect(running).toBe(1);
  }, LONG);

  it('a non-loopback --metrics-addr is refused at start, with the reason', async () => {
    const daemon = spawnDaemon(['--data-dir', join(cluster.dir, 'bad'), '--control-socket', join(cluster.dir, 'bad.sock'), '--metrics-addr', '0.0.0.0:9323']);
    const done = await daemon.exited;
    expect(done.code).toBe(2);
    expect(done.stderr).toContain('invalid --metrics-addr 0.0.0.0:9323: 0.0.0.0 is not a loopback address');
  });
});
