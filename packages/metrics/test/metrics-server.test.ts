import { NodeRole, NodeState, TaskState, type Node, type Service, type Task } from '@flotilla/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeMetrics, parseMetricsAddr, serveMetrics, type MetricsServer, type RaftFacts } from '../src/index.js';

// A real HTTP server on loopback, scraped with fetch: what Prometheus would read.
let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const info = { natsRefused: [{ cause: 'tls', count: 4 }], managerPortRefused: [], dnsRefused: [] } as never;

describe('metrics over HTTP', () => {
  it('serves the store, Raft and refusal figures in Prometheus text format, as they are at the scrape', async () => {
    let tasks: Task[] = [{ serviceId: 's1', status: { state: TaskState.TASK_STATE_RUNNING }, desiredState: TaskState.TASK_STATE_RUNNING } as unknown as Task];
    let raft: RaftFacts | undefined = { term: 7, commit: 120, applied: 119, snapshotIndex: 100, voters: 3, isLeader: true, lastSnapshotSeconds: 0.25 };
    const metrics = createNodeMetrics({
      swarm: () => info,
      cluster: () => ({
        nodes: [{ id: 'n1', role: NodeRole.NODE_ROLE_MANAGER, status: { state: NodeState.NODE_STATE_READY }, spec: {} } as unknown as Node],
        services: [{ id: 's1', spec: { annotations: { name: 'web' } } } as unknown as Service],
        tasks,
      }),
      raft: () => raft,
    });
    metrics.leaderChanged();
    metrics.storeWrite(0.004, 'ok');
    server = await serveMetrics(metrics, parseMetricsAddr('127.0.0.1:0'));
    const url = `http://127.0.0.1:${server.addr.port}/metrics`;

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('flotilla_tasks{service="web",state="running",desired_state="running"} 1');
    expect(body).toContain('flotilla_nodes{state="ready",role="manager",availability="active"} 1');
    expect(body).toContain('flotilla_raft_term 7');
    expect(body).toContain('flotilla_raft_is_leader 1');
    expect(body).toContain('flotilla_raft_last_snapshot_duration_seconds 0.25');
    expect(body).toContain('flotilla_raft_leader_changes_total 1');
    expect(body).toContain('flotilla_store_write_duration_seconds_bucket{le="0.005",outcome="ok"} 1');
    expect(body).toContain('flotilla_refused_total{listener="nats",cause="tls"} 4');
    expect(body).toMatch(/flotilla_process_cpu_seconds_total \d/);

    // The next scrape sees the store and Raft as they are then: a stopped task's series goes.
    tasks = [];
    raft = undefined;
    const later = await (await fetch(url)).text();
    expect(later).not.toContain('flotilla_tasks{');
    expect(later).not.toMatch(/^flotilla_raft_term /m);
  });

  it('other paths are 404 and other methods 405', async () => {
    const metrics = createNodeMetrics({ swarm: () => info, cluster: () => undefined, raft: () => undefined });
    server = await serveMetrics(metrics, parseMetricsAddr('127.0.0.1:0'));
    expect((await fetch(`http://127.0.0.1:${server.addr.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.addr.port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('a port in use is a clear error', async () => {
    const metrics = createNodeMetrics({ swarm: () => info, cluster: () => undefined, raft: () => undefined });
    server = await serveMetrics(metrics, parseMetricsAddr('127.0.0.1:0'));
    await expect(serveMetrics(metrics, { host: '127.0.0.1', port: server.addr.port })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
  });
});

describe('parseMetricsAddr', () => {
  it('takes loopback addresses, IPv4 and IPv6', () => {
    expect(parseMetricsAddr('127.0.0.1:9323')).toEqual({ host: '127.0.0.1', port: 9323 });
    expect(parseMetricsAddr('[::1]:9323')).toEqual({ host: '::1', port: 9323 });
  });

  it('refuses anything else with the reason', () => {
    expect(() => parseMetricsAddr('0.0.0.0:9323')).toThrow(/not a loopback address; metrics are served in plain HTTP/);
    expect(() => parseMetricsAddr('10.0.0.5:9323')).toThrow(/not a loopback address/);
    expect(() => parseMetricsAddr('localhost:9323')).toThrow(/not an IP address/);
    expect(() => parseMetricsAddr('127.0.0.1')).toThrow(/expected HOST:PORT/);
    expect(() => parseMetricsAddr('127.0.0.1:70000')).toThrow(/out of range/);
  });
});
