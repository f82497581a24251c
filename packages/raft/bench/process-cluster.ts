// A cluster as flotillad runs it, for benchmarks: one nats-server per member (clustered with
// mutual-TLS routes, each supervised here), one Raft member with its store service per child
// process (test/integration/member-process.ts), each connected to its own server. A member can
// be SIGKILLed with its nats-server, or SIGSTOPped with its subscriptions still registered.
import { createHash, createPublicKey } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsServerSupervisor, connectBus, pickFreePort, type BusConnection } from '@flotilla/bus';
import { makeTestPki, tempDir, type TempDir, type TestPki } from '@flotilla/testkit';
import { pino } from 'pino';
import type { MemberProcessConfig } from '../test/integration/member-process.js';

const script = fileURLToPath(new URL('../test/integration/member-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';

export interface MemberTiming {
  tickMs: number;
  electionTicks: number;
  snapshotEvery?: number;
}

export interface ChildStats {
  term: number;
  leader: number;
  applied: number;
  snapshotsTaken: number;
  lastSnapshot?: { index: number; bytes: number; encodeMs: number; totalMs: number };
  loopMaxBlockMs: number;
  taskCount: number;
}

export class ProcessCluster {
  readonly members = new Map<number, ChildProcess>();
  readonly clients = new Map<number, BusConnection>();

  private constructor(
    readonly tmp: TempDir,
    readonly pki: TestPki,
    readonly servers: NatsServerSupervisor[],
    readonly timing: MemberTiming,
    readonly clusterId: string,
  ) {}

  static async start(size: number, timing: MemberTiming): Promise<ProcessCluster> {
    const tmp = await tempDir('flotilla-raft-bench-');
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const pki = await makeTestPki(join(tmp.path, 'pki'), {
      clients: [...ids.map((id) => ({ name: `m${id}`, cn: `member-${id}` })), ...ids.map((id) => ({ name: `c${id}`, cn: `client-${id}` }))],
    });
    const routePorts = await Promise.all(ids.map(() => pickFreePort(HOST)));
    const users = Object.values(pki.clients).map((c) => ({ user: c.dn }));
    // Every server presents the same test certificate: its key is the one routes may use.
    const serverKey = createHash('sha256').update(createPublicKey(pki.server.cert).export({ type: 'spki', format: 'der' })).digest('hex');
    const servers = ids.map(
      (id, i) =>
        new NatsServerSupervisor({
          configDir: join(tmp.path, `nats-${id}`),
          serverName: `bench-n${id}`,
          host: HOST,
          port: 0,
          cluster: { name: 'bench', host: HOST, port: routePorts[i]!, routes: routePorts.filter((_, j) => j !== i).map((p) => `nats-route://${HOST}:${p}`), pinnedKeys: [serverKey] },
          tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile },
          users,
          stopGraceMs: 1_000,
          ...(process.env.BENCH_LOG ? { logger: pino({ level: 'info' }, pino.destination(`${process.env.BENCH_LOG}.nats-${id}`)) } : {}),
        }),
    );
    const c = new ProcessCluster(tmp, pki, servers, timing, 'bench');
    try {
      await Promise.all(servers.map((s) => s.start()));
      await Promise.all(ids.map((id) => c.startMember(id)));
      for (const id of ids) {
        const client = `c${id}`;
        c.clients.set(id, await connectBus({ servers: [servers[id - 1]!.url], tls: c.tlsFor(client), name: client }));
      }
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  tlsFor(name: string): { ca: string; cert: string; key: string } {
    const cl = this.pki.clients[name]!;
    return { ca: this.pki.ca.cert, cert: cl.cert, key: cl.key };
  }

  server(id: number): NatsServerSupervisor {
    return this.servers[id - 1]!;
  }

  async startMember(id: number): Promise<ChildProcess> {
    const cfg: MemberProcessConfig = {
      id,
      clusterId: this.clusterId,
      dataDir: join(this.tmp.path, `member-${id}`),
      bootstrap: this.servers.map((_, i) => i + 1),
      url: this.server(id).url,
      tls: this.tlsFor(`m${id}`),
      ...this.timing,
    };
    const child = fork(script, [], {
      cwd: packageDir,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, RAFT_MEMBER_CONFIG: JSON.stringify(cfg) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.members.set(id, child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`member process ${id} exited with ${code} before it was ready`)));
      child.on('message', (m: { type: string }) => m.type === 'ready' && resolve());
    });
    return child;
  }

  ask<T>(id: number, type: 'stats' | 'status' | 'probe-reset' | 'sync-encode', timeoutMs = 5_000): Promise<T> {
    const child = this.members.get(id)!;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        child.off('message', on);
        reject(new Error(`member process ${id} did not answer ${type}`));
      }, timeoutMs);
      const on = (m: { type: string } & T): void => {
        if (m.type !== type) return;
        clearTimeout(t);
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send({ type });
    });
  }

  /** The member every running member names as leader, once they agree. */
  async leader(among: number[], timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const st = await Promise.all(among.map((id) => this.ask<ChildStats>(id, 'stats').catch(() => undefined)));
      const l = st[0]?.leader ?? 0;
      if (l !== 0 && st.every((s) => s?.leader === l)) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`members ${among.join(',')} did not agree on a leader within ${timeoutMs} ms`);
  }

  /** SIGKILL of the member and of its nats-server, as when its machine dies. */
  async killWithServer(id: number): Promise<void> {
    const child = this.members.get(id)!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    this.server(id).killNow();
    await exited;
  }

  async stop(): Promise<void> {
    for (const ch of this.members.values()) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
    for (const bus of this.clients.values()) await bus.close().catch(() => undefined);
    await Promise.all(this.servers.map((s) => s.stop().catch(() => undefined)));
    await this.tmp.cleanup();
  }
}
