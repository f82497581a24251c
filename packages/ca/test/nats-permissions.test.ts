import { NodeRole } from '@flotilla/api';
import { clusterSubjects, NatsServerSupervisor, type SubjectRules } from '@flotilla/bus';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerIdentityCheck } from '../src/grpc/client-credentials.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../src/local-issue.js';
import { natsUsers } from '../src/nats-permissions.js';
import { createRootCa } from '../src/root-ca.js';

const cid = 'cperm';
const subjects = clusterSubjects(cid);
const M = 'a'.repeat(25);
const W = 'b'.repeat(25);
const OTHER = 'c'.repeat(25);

/** NATS subject matching ('*' one token, '>' the rest), to read the rules as "may X publish Y". */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

function allows(rules: SubjectRules | undefined, subject: string): boolean {
  return (rules?.allow ?? []).some((p) => matches(p, subject)) && !(rules?.deny ?? []).some((p) => matches(p, subject));
}

describe('natsUsers: one definition of who may publish and subscribe what (pure)', () => {
  const users = natsUsers(subjects, [
    { nodeId: M, role: NodeRole.NODE_ROLE_MANAGER },
    { nodeId: W, role: NodeRole.NODE_ROLE_WORKER },
  ]);
  const manager = users.find((u) => u.user === M)!.permissions!;
  const worker = users.find((u) => u.user === W)!.permissions!;

  it.each([
    [`flt.${cid}.dispatcher.heartbeat.${W}`, true],
    [`flt.${cid}.dispatcher.session.${W}`, true],
    [`flt.${cid}.dispatcher.secrets.${W}`, true],
    [`flt.${cid}.logs.${W}.stream1`, true],
    // The rule removed from this package: `dispatcher.>` let a worker speak as every node.
    [`flt.${cid}.dispatcher.heartbeat.${OTHER}`, false],
    [`flt.${cid}.dispatcher.status.${OTHER}`, false],
    [`flt.${cid}.logs.${OTHER}.stream1`, false],
    [`flt.${cid}.store.propose`, false],
    [`flt.${cid}.store.list`, false],
    [`flt.${cid}.raft.1`, false],
    [`flt.${cid}.control.CreateService`, false],
    [`flt.${cid}.node.${OTHER}.assignments`, false],
    [`flt.other.dispatcher.heartbeat.${W}`, false],
  ])('a worker may publish %s: %s', (subject, allowed) => {
    expect(allows(worker.publish, subject)).toBe(allowed);
  });

  it.each([
    [`flt.${cid}.node.${W}.assignments`, true],
    [`flt.${cid}.node.${W}.inbox.x1`, true],
    [`flt.${cid}.node.${OTHER}.assignments`, false],
    [`flt.${cid}.node.${OTHER}.inbox.x1`, false],
    [`flt.${cid}.store.events`, false],
    [`flt.${cid}.raft.1`, false],
    [`flt.${cid}.dispatcher.heartbeat.${OTHER}`, false],
    ['_INBOX.anything', false],
  ])('a worker may subscribe to %s: %s', (subject, allowed) => {
    expect(allows(worker.subscribe, subject)).toBe(allowed);
  });

  it('a worker answers requests sent to it; its reply inbox is inside what it may subscribe to', () => {
    expect(worker.allowResponses).toBe(true);
    expect(allows(worker.subscribe, `${subjects.node.inboxPrefix(W)}.abc`)).toBe(true);
  });

  it.each([
    [`flt.${cid}.store.propose`, true],
    [`flt.${cid}.raft.7`, true],
    [`flt.${cid}.node.${W}.assignments`, true],
    [`flt.other.store.propose`, false],
    ['_INBOX.x', false],
  ])('a manager may publish and subscribe to %s: %s', (subject, allowed) => {
    expect(allows(manager.publish, subject)).toBe(allowed);
    expect(allows(manager.subscribe, subject)).toBe(allowed);
  });

  it('leaves out denied nodes and duplicates, sorted by user', () => {
    const nodes = [
      { nodeId: W, role: NodeRole.NODE_ROLE_WORKER as const },
      { nodeId: M, role: NodeRole.NODE_ROLE_MANAGER as const },
      { nodeId: W, role: NodeRole.NODE_ROLE_WORKER as const },
    ];
    expect(natsUsers(subjects, nodes).map((u) => u.user)).toEqual([M, W]);
    expect(natsUsers(subjects, nodes, [W]).map((u) => u.user)).toEqual([M]);
  });

  it('refuses ids that would widen a subject', () => {
    expect(() => natsUsers(subjects, [{ nodeId: '*', role: NodeRole.NODE_ROLE_WORKER }])).toThrow('not a valid node ID');
    expect(() => clusterSubjects('c.>')).toThrow(/cluster/);
  });
});

/** Real nats-server 2.9 through the bus's supervisor: certificates map to users by their node-ID DNS SAN. */
describe('natsUsers enforced by a real nats-server', () => {
  const rootCa = createRootCa({ clusterId: cid });
  const issue = (role: NodeRole.NODE_ROLE_MANAGER | NodeRole.NODE_ROLE_WORKER) =>
    issueLocalNodeCredentials({ rootCa, clusterId: cid, role, addresses: ['127.0.0.1'] });
  const manager = issue(NodeRole.NODE_ROLE_MANAGER);
  const worker = issue(NodeRole.NODE_ROLE_WORKER);
  const otherWorker = issue(NodeRole.NODE_ROLE_WORKER);
  const removed = issue(NodeRole.NODE_ROLE_WORKER);
  let dir: string;
  let server: NatsServerSupervisor | undefined;
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
      servers: server!.url,
      reconnect: false,
      inboxPrefix: subjects.node.inboxPrefix(creds.nodeId),
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
    server = new NatsServerSupervisor({
      configDir: join(dir, 'nats'),
      serverName: 'perm',
      host: '127.0.0.1',
      port: 0,
      tls: { caFile: join(dir, 'ca.crt'), ...serverFiles },
      users: natsUsers(subjects, [manager, worker, otherWorker, removed].map((n) => ({ nodeId: n.nodeId, role: n.role })), [removed.nodeId]),
      stopGraceMs: 2_000,
    });
    await server.start();
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a worker publishes to the dispatcher as itself and receives its own node subjects', async () => {
    const m = await connectAs('m1', manager);
    const w = await connectAs('w1', worker);
    const atDispatcher = m.subscribe(subjects.dispatcher.heartbeatAny, { max: 1 });
    const ownAssignments = w.subscribe(subjects.node.assignments(worker.nodeId), { max: 1 });
    await m.flush();
    await w.flush();
    w.publish(subjects.dispatcher.heartbeat(worker.nodeId), 'hb');
    m.publish(subjects.node.assignments(worker.nodeId), 'tasks');
    for await (const msg of atDispatcher) expect(msg.string()).toBe('hb');
    for await (const msg of ownAssignments) expect(msg.string()).toBe('tasks');
  });

  it("a worker cannot speak to the dispatcher as another node (the rule natsPermissionPolicy had let through)", async () => {
    const w = await connectAs('w0', worker);
    const denied = permissionError(w, 'publish', subjects.dispatcher.heartbeat(otherWorker.nodeId));
    w.publish(subjects.dispatcher.heartbeat(otherWorker.nodeId), 'forged');
    await denied;
  });

  it('a worker makes requests to the dispatcher through its own inbox and answers requests sent to it', async () => {
    const m = await connectAs('m2', manager);
    const w = await connectAs('w2', worker);
    m.subscribe(subjects.dispatcher.sessionAny, { callback: (_err, msg) => void msg.respond('session-ok') });
    w.subscribe(`flt.${cid}.node.${worker.nodeId}.ping`, { callback: (_err, msg) => void msg.respond('pong') });
    await m.flush();
    await w.flush();
    expect((await w.request(subjects.dispatcher.session(worker.nodeId), 'hello', { timeout: 5000 })).string()).toBe('session-ok');
    expect((await m.request(`flt.${cid}.node.${worker.nodeId}.ping`, '', { timeout: 5000 })).string()).toBe('pong');
  });

  it('a worker cannot publish to the store nor read another node, Raft or all inboxes', async () => {
    const w = await connectAs('w3', worker);
    const pubDenied = permissionError(w, 'publish', subjects.store.propose);
    w.publish(subjects.store.propose, 'evil');
    await pubDenied;
    for (const subject of [subjects.node.all(otherWorker.nodeId), `flt.${cid}.raft.>`, '_INBOX.>', '>']) {
      const sub = w.subscribe(subject);
      const closedWith = await sub.closed;
      expect(String(closedWith)).toContain(`Permissions Violation for Subscription to "${subject}"`);
    }
  });

  it('a worker publishes log chunks under its own node id but never as another node', async () => {
    const m = await connectAs('m5', manager);
    const w = await connectAs('w5', worker);
    const own = m.subscribe(subjects.logs.fromNode(worker.nodeId), { max: 1 });
    await m.flush();
    w.publish(subjects.logs.stream(worker.nodeId, 'stream1'), 'line');
    for await (const msg of own) expect(msg.string()).toBe('line');
    const denied = permissionError(w, 'publish', subjects.logs.stream(otherWorker.nodeId, 'stream1'));
    w.publish(subjects.logs.stream(otherWorker.nodeId, 'stream1'), 'forged');
    await denied;
  });

  it('a manager may publish and subscribe anywhere in its cluster, not in another', async () => {
    const m = await connectAs('m4', manager);
    const sub = m.subscribe(`flt.${cid}.raft.>`, { max: 1 });
    await m.flush();
    m.publish(subjects.raft.member('1'), 'entry');
    for await (const msg of sub) expect(msg.string()).toBe('entry');
    const denied = permissionError(m, 'publish', 'flt.other.store.propose');
    m.publish('flt.other.store.propose', 'x');
    await denied;
  });

  it("a removed node's certificate is refused", async () => {
    await expect(connectAs('r1', removed)).rejects.toThrow(/Authorization Violation/i);
  });
});
