import { NodeRole } from '@flotilla/api';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerIdentityCheck } from '../src/grpc/client-credentials.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../src/local-issue.js';
import { natsPermissionPolicy, natsPermissionsFor, workerInboxPrefix } from '../src/nats-permissions.js';
import { createRootCa } from '../src/root-ca.js';

const cid = 'cperm';

describe('natsPermissionPolicy (pure)', () => {
  it('gives managers everything and a worker only its own subjects', () => {
    const manager = natsPermissionsFor(cid, { nodeId: 'a'.repeat(25), role: NodeRole.NODE_ROLE_MANAGER });
    expect(manager.permissions).toEqual({ publish: { allow: ['>'] }, subscribe: { allow: ['>'] } });
    const workerId = 'b'.repeat(25);
    const worker = natsPermissionsFor(cid, { nodeId: workerId, role: NodeRole.NODE_ROLE_WORKER });
    expect(worker).toEqual({
      user: workerId,
      permissions: {
        publish: { allow: ['flt.cperm.dispatcher.>', `flt.cperm.logs.${workerId}.*`] },
        subscribe: { allow: [`flt.cperm.node.${workerId}.>`, `_INBOX.${workerId}.>`] },
        allow_responses: true,
      },
    });
  });

  it('leaves out denied nodes and duplicates', () => {
    const nodes = [
      { nodeId: 'a'.repeat(25), role: NodeRole.NODE_ROLE_MANAGER as const },
      { nodeId: 'b'.repeat(25), role: NodeRole.NODE_ROLE_WORKER as const },
      { nodeId: 'b'.repeat(25), role: NodeRole.NODE_ROLE_WORKER as const },
    ];
    expect(natsPermissionPolicy(cid, nodes).map((u) => u.user)).toEqual(['a'.repeat(25), 'b'.repeat(25)]);
    expect(natsPermissionPolicy(cid, nodes, ['b'.repeat(25)]).map((u) => u.user)).toEqual(['a'.repeat(25)]);
  });

  it('refuses IDs that would widen a subject', () => {
    expect(() => natsPermissionsFor('c.>', { nodeId: 'a'.repeat(25), role: NodeRole.NODE_ROLE_WORKER })).toThrow('cluster ID "c.>" may contain only');
    expect(() => natsPermissionsFor(cid, { nodeId: '*', role: NodeRole.NODE_ROLE_WORKER })).toThrow('not a valid node ID');
  });
});

/** Real nats-server 2.9 with `verify_and_map`: certificates map to users by their node-ID DNS SAN. */
describe('natsPermissionPolicy enforced by a real nats-server', () => {
  const rootCa = createRootCa({ clusterId: cid });
  const issue = (role: NodeRole.NODE_ROLE_MANAGER | NodeRole.NODE_ROLE_WORKER) =>
    issueLocalNodeCredentials({ rootCa, clusterId: cid, role, addresses: ['127.0.0.1'] });
  const manager = issue(NodeRole.NODE_ROLE_MANAGER);
  const worker = issue(NodeRole.NODE_ROLE_WORKER);
  const otherWorker = issue(NodeRole.NODE_ROLE_WORKER);
  const removed = issue(NodeRole.NODE_ROLE_WORKER);
  let dir: string;
  let server: ChildProcess | undefined;
  let port = 0;
  const open: NatsConnection[] = [];

  function writeCreds(name: string, creds: NodeCredentials): { certFile: string; keyFile: string } {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    writeFileSync(certFile, creds.certPem);
    writeFileSync(keyFile, creds.keyPem, { mode: 0o600 });
    return { certFile, keyFile };
  }

  async function connectAs(name: string, creds: NodeCredentials): Promise<NatsConnection> {
    const files = writeCreds(name, creds);
    const nc = await connect({
      servers: `127.0.0.1:${port}`,
      reconnect: false,
      inboxPrefix: creds.role === NodeRole.NODE_ROLE_WORKER ? workerInboxPrefix(creds.nodeId) : undefined,
      // nats.js has no servername option; check "a manager of this cluster" the same way gRPC clients do.
      tls: { caFile: join(dir, 'ca.crt'), ...files, checkServerIdentity: managerIdentityCheck(cid) } as never,
    });
    open.push(nc);
    return nc;
  }

  async function permissionError(nc: NatsConnection, operation: string, subject: string): Promise<void> {
    for await (const status of nc.status()) {
      const error = (status as { type: string; error?: { operation?: string; subject?: string } }).error;
      if (status.type === 'error' && error?.operation === operation && error.subject === subject) return;
    }
    throw new Error(`connection closed before a ${operation} permission error on ${subject}`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-ca-nats-'));
    writeFileSync(join(dir, 'ca.crt'), rootCa.certPem);
    const serverFiles = writeCreds('server', manager);
    const users = natsPermissionPolicy(
      cid,
      [manager, worker, otherWorker, removed].map((n) => ({ nodeId: n.nodeId, role: n.role })),
      [removed.nodeId],
    );
    // nats-server's config format accepts JSON for the authorization block.
    writeFileSync(
      join(dir, 'nats.conf'),
      [
        'listen: "127.0.0.1:-1"',
        `tls { cert_file: "${serverFiles.certFile}", key_file: "${serverFiles.keyFile}", ca_file: "${join(dir, 'ca.crt')}", verify_and_map: true }`,
        `authorization ${JSON.stringify({ users })}`,
      ].join('\n'),
    );
    server = spawn('nats-server', ['-c', join(dir, 'nats.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('nats-server did not report its port within 10 s')), 10_000);
      let log = '';
      server?.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
        if (match?.[1]) {
          clearTimeout(deadline);
          resolve(Number(match[1]));
        }
      });
      server?.on('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log}`)));
    });
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      process.kill(server.pid, 'SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a worker publishes to the dispatcher and receives its own node subjects', async () => {
    const m = await connectAs('m1', manager);
    const w = await connectAs('w1', worker);
    const atDispatcher = m.subscribe(`flt.${cid}.dispatcher.>`, { max: 1 });
    const ownAssignments = w.subscribe(`flt.${cid}.node.${worker.nodeId}.assignments`, { max: 1 });
    await m.flush();
    await w.flush();
    w.publish(`flt.${cid}.dispatcher.heartbeat`, 'hb');
    m.publish(`flt.${cid}.node.${worker.nodeId}.assignments`, 'tasks');
    for await (const msg of atDispatcher) expect(msg.string()).toBe('hb');
    for await (const msg of ownAssignments) expect(msg.string()).toBe('tasks');
  });

  it('a worker can make requests to the dispatcher through its own inbox and answer requests sent to it', async () => {
    const m = await connectAs('m2', manager);
    const w = await connectAs('w2', worker);
    m.subscribe(`flt.${cid}.dispatcher.session`, { callback: (_err, msg) => void msg.respond('session-ok') });
    w.subscribe(`flt.${cid}.node.${worker.nodeId}.ping`, { callback: (_err, msg) => void msg.respond('pong') });
    await m.flush();
    await w.flush();
    expect((await w.request(`flt.${cid}.dispatcher.session`, 'hello', { timeout: 5000 })).string()).toBe('session-ok');
    expect((await m.request(`flt.${cid}.node.${worker.nodeId}.ping`, '', { timeout: 5000 })).string()).toBe('pong');
  });

  it('a worker cannot publish to the store nor read another node, Raft or all inboxes', async () => {
    const w = await connectAs('w3', worker);
    const pubDenied = permissionError(w, 'publish', `flt.${cid}.store.propose`);
    w.publish(`flt.${cid}.store.propose`, 'evil');
    await pubDenied;
    for (const subject of [`flt.${cid}.node.${otherWorker.nodeId}.>`, `flt.${cid}.raft.>`, '_INBOX.>', '>']) {
      const sub = w.subscribe(subject);
      const closedWith = await sub.closed;
      expect(String(closedWith)).toContain(`Permissions Violation for Subscription to "${subject}"`);
    }
  });

  it("a worker publishes log chunks under its own node id but never as another node", async () => {
    const m = await connectAs('m5', manager);
    const w = await connectAs('w5', worker);
    const own = m.subscribe(`flt.${cid}.logs.${worker.nodeId}.*`, { max: 1 });
    await m.flush();
    w.publish(`flt.${cid}.logs.${worker.nodeId}.stream1`, 'line');
    for await (const msg of own) expect(msg.string()).toBe('line');
    const denied = permissionError(w, 'publish', `flt.${cid}.logs.${otherWorker.nodeId}.stream1`);
    w.publish(`flt.${cid}.logs.${otherWorker.nodeId}.stream1`, 'forged');
    await denied;
  });

  it('a manager may publish and subscribe anywhere', async () => {
    const m = await connectAs('m4', manager);
    const sub = m.subscribe(`flt.${cid}.raft.>`, { max: 1 });
    await m.flush();
    m.publish(`flt.${cid}.raft.append`, 'entry');
    for await (const msg of sub) expect(msg.string()).toBe('entry');
  });

  it("a removed node's certificate is refused", async () => {
    await expect(connectAs('r1', removed)).rejects.toThrow(/Authorization Violation/i);
  });
});
