// A throwaway 3-member etcd cluster on 127.0.0.1 ephemeral ports for the benchmark, driven over
// etcd 3.4's v3 JSON gateway (/v3/kv/put, base64 keys and values) with keep-alive HTTP.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface EtcdCluster {
  endpoints: string[];
  /** Client URL of the current leader. */
  leaderEndpoint(): Promise<string>;
  put(endpoint: string, key: string, value: Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** Installs etcd from Debian if it is missing (the bench runs as root on the dev machine). */
export function ensureEtcdInstalled(): void {
  if (spawnSync('sh', ['-c', 'command -v etcd'], { stdio: 'ignore' }).status === 0) return;
  console.error('etcd not found; installing etcd-server etcd-client (apt-get)');
  const r = spawnSync('sh', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('apt-get install -y etcd-server etcd-client failed; install etcd 3.4 by hand');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startEtcdCluster(dir: string, concurrency: number): Promise<EtcdCluster> {
  const names = ['e1', 'e2', 'e3'];
  const client: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < names.length; i++) {
    client.push(await freePort());
    peer.push(await freePort());
  }
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${peer[i]}`).join(',');
  const procs: ChildProcess[] = [];
  const endpoints = client.map((p) => `http://127.0.0.1:${p}`);
  for (let i = 0; i < names.length; i++) {
    const dataDir = join(dir, names[i]!);
    await mkdir(dataDir, { recursive: true });
    const p = spawn(
      'etcd',
      [
        '--name', names[i]!,
        '--data-dir', dataDir,
        '--listen-client-urls', endpoints[i]!,
        '--advertise-client-urls', endpoints[i]!,
        '--listen-peer-urls', `http://127.0.0.1:${peer[i]}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peer[i]}`,
        '--initial-cluster', initial,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `bench-${process.pid}`,
        '--logger', 'zap',
        '--log-level', 'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    p.once('exit', (code, sig) => {
      if (!stopping) console.error(`etcd ${names[i]} exited early (code ${code}, signal ${sig}): ${stderr}`);
    });
    procs.push(p);
  }
  let stopping = false;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency + 4 });

  const post = (endpoint: string, path: string, body: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = request(
        `${endpoint}${path}`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) reject(new Error(`etcd ${path} at ${endpoint}: HTTP ${res.statusCode}: ${text}`));
            else resolve(JSON.parse(text));
          });
        },
      );
      req.once('error', reject);
      req.end(data);
    });

  const status = async (endpoint: string): Promise<{ leader: string; member: string }> => {
    const s = (await post(endpoint, '/v3/maintenance/status', {})) as { leader?: string; header?: { member_id?: string } };
    return { leader: s.leader ?? '0', member: s.header?.member_id ?? '' };
  };

  const cluster: EtcdCluster = {
    endpoints,
    async leaderEndpoint() {
      for (const e of endpoints) {
        const s = await status(e);
        if (s.leader !== '0' && s.leader === s.member) return e;
      }
      throw new Error('etcd has no leader yet');
    },
    async put(endpoint, key, value) {
      await post(endpoint, '/v3/kv/put', { key: Buffer.from(key).toString('base64'), value: value.toString('base64') });
    },
    async stop() {
      stopping = true;
      agent.destroy();
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) return resolve();
              const t = setTimeout(() => p.kill('SIGKILL'), 5000);
              p.once('exit', () => (clearTimeout(t), resolve()));
              p.kill('SIGTERM');
            }),
        ),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
  // Ready when some member reports itself leader.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await cluster.leaderEndpoint();
      return cluster;
    } catch (err) {
      if (Date.now() > deadline) {
        await cluster.stop();
        throw new Error(`etcd cluster did not elect a leader within 30 s: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
