// A rogue nats-server routing into one manager with some node's certificate, as an attacker
// holding that node's files would (see rogue-nats.ts), and what the manager makes of it: its
// routes from its nats-server monitoring (--nats-monitor-addr on loopback) and its refused route
// handshakes by cause from `flotilla info`'s Refused NATS line (the log sums repeated refusals up
// instead of a line each).
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LoopbackCluster, LoopbackHost } from './loopback-cluster.js';
import { routez, startRogueNats, type RogueNats } from './rogue-nats.js';
import { waitFor } from './wait.js';

export interface CertFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

export interface RouteAttacks {
  /** The route ids of the target manager's nats-server, sorted. */
  routes(): Promise<number[]>;
  /** The target's refused route handshakes by cause (route-not-pinned, route-tls-handshake). */
  refusedRoutes(): Promise<Map<string, number>>;
  /** Copies a node's current certificate and key (what an attacker who took its files holds). */
  steal(host: LoopbackHost, as: string): Promise<CertFiles>;
  /** Starts a rogue nats-server with these files routing to the target; stopped by stopAll. */
  rogueWith(name: string, files: CertFiles): Promise<RogueNats>;
  /** Starts a rogue and checks the target refuses it three times (a cause matching `reason` grows) while its routes stay exactly as they were. */
  expectRefused(name: string, files: CertFiles, reason: RegExp): Promise<void>;
  stopAll(): Promise<void>;
}

export const certDir = (host: LoopbackHost): string => join(host.dataDir, 'swarm', 'certificates');

const total = (byCause: Map<string, number>): number => [...byCause.values()].reduce((a, b) => a + b, 0);

export function routeAttacks(o: { cluster: LoopbackCluster; target: LoopbackHost; monitorPort: number; rogueHost: string; clusterId: () => string }): RouteAttacks {
  const { cluster, target } = o;
  const rogues: RogueNats[] = [];
  const routes = async (): Promise<number[]> => (await routez(target.addr, o.monitorPort)).routes.map((r) => r.rid).sort();
  const refusedRoutes = async (): Promise<Map<string, number>> => {
    const line = /^ {3}NATS: (.*)$/m.exec(await cluster.ok(target, 'info'))?.[1] ?? 'none';
    const byCause = new Map<string, number>();
    if (line === 'none') return byCause;
    for (const part of line.split(', ')) {
      const [count, cause] = part.split(' ');
      if (cause?.startsWith('route-')) byCause.set(cause, Number(count));
    }
    return byCause;
  };
  const rogueWith = async (name: string, files: CertFiles): Promise<RogueNats> => {
    const rogue = await startRogueNats({
      dir: join(cluster.dir, 'rogue', name),
      host: o.rogueHost,
      clusterName: `flt-${o.clusterId()}`,
      routeTo: `nats-route://${target.addr}:${cluster.natsClusterPort}`,
      certFile: files.certFile,
      keyFile: files.keyFile,
      caFile: files.caFile ?? join(certDir(target), 'ca.crt'),
    });
    rogues.push(rogue);
    return rogue;
  };
  return {
    routes,
    refusedRoutes,
    rogueWith,
    async steal(host, as) {
      const dir = join(cluster.dir, 'stolen', as);
      await mkdir(dir, { recursive: true });
      for (const f of ['node.crt', 'node.key', 'ca.crt']) await copyFile(join(certDir(host), f), join(dir, f));
      return { certFile: join(dir, 'node.crt'), keyFile: join(dir, 'node.key') };
    },
    async expectRefused(name, files, reason) {
      const before = await routes();
      const refusedBefore = await refusedRoutes();
      const rogue = await rogueWith(name, files);
      try {
        // The rogue redials every second: wait for three refusals, then count.
        const after = await waitFor(`${target.name} to refuse the ${name} route three times`, async () => {
          const now = await refusedRoutes();
          return total(now) >= total(refusedBefore) + 3 ? now : undefined;
        }, 30_000);
        const grew = [...after].filter(([cause, n]) => n > (refusedBefore.get(cause) ?? 0)).map(([cause]) => cause);
        expect(grew.some((cause) => reason.test(cause)), `causes that grew: ${grew.join(', ')}`).toBe(true);
        expect(await routes()).toEqual(before);
        expect(await rogue.routes()).toBe(0);
      } finally {
        await rogue.stop();
      }
    },
    async stopAll() {
      for (const r of rogues) await r.stop();
    },
  };
}
