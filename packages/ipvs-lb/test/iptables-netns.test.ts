import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHosts, type TestHosts } from '@flotilla/testkit';
import { IptablesBackend, type Vip } from '../src/index.js';
import { connectMany, runnerIn, startNamedServer } from './helpers/netns-servers.js';

// Real packets: the iptables back end programs the nat table of test host h1's network
// namespace; the two backends are real TCP servers, one on h1 and one on h2, reached through the VIP.
describe('iptables back end in a network namespace', () => {
  let th: TestHosts;

  beforeAll(async () => {
    th = await createTestHosts({ count: 2, prefix: 'flb' });
  });
  afterAll(async () => {
    const netns = th?.hosts.map((h) => h.netns) ?? [];
    await th?.destroy();
    const left = execFileSync('ip', ['netns', 'list']).toString();
    for (const ns of netns) expect(left).not.toContain(ns);
  });

  it('spreads connections over the backends, follows a new backend list, and removes everything', async () => {
    const h1 = th.hosts[0]!;
    const h2 = th.hosts[1]!;
    await startNamedServer(h1, h1.addr, 8081, 'a');
    await startNamedServer(h2, h2.addr, 8082, 'b');
    const vip: Vip = { addr: '198.19.7.10', port: 80, protocol: 'tcp' };
    const lb = new IptablesBackend({ run: runnerIn(h1) });

    await lb.ensureService(vip, [
      { addr: h1.addr, port: 8081 },
      { addr: h2.addr, port: 8082 },
    ]);
    const both = await connectMany(h1, vip.addr, vip.port, 20);
    expect(new Set(both)).toEqual(new Set(['a', 'b']));

    // Task a became unhealthy: the agent sends the new list and only b is reached.
    await lb.ensureService(vip, [{ addr: h2.addr, port: 8082 }]);
    expect(new Set(await connectMany(h1, vip.addr, vip.port, 10))).toEqual(new Set(['b']));

    // Bad input is refused and leaves the rules as they were.
    await expect(lb.ensureService(vip, [{ addr: 'not-an-ip', port: 1 }])).rejects.toThrow(/not an IPv4 address/);
    expect(new Set(await connectMany(h1, vip.addr, vip.port, 5))).toEqual(new Set(['b']));

    await lb.removeService(vip);
    const saved = (await h1.exec(['iptables-save'])).stdout;
    expect(saved).not.toContain('FLT-');
    await lb.close();
  });

  it('cleans chains left by an earlier instance on its first apply and on close', async () => {
    const h1 = th.hosts[0]!;
    const crashed = new IptablesBackend({ run: runnerIn(h1) });
    const a: Vip = { addr: '198.19.7.20', port: 53, protocol: 'udp' };
    await crashed.ensureService(a, [{ addr: h1.addr, port: 5353 }]);
    expect((await h1.exec(['iptables-save', '-t', 'nat'])).stdout).toContain('--to-destination');

    const fresh = new IptablesBackend({ run: runnerIn(h1) });
    const b: Vip = { addr: '198.19.7.21', port: 80, protocol: 'tcp' };
    await fresh.ensureService(b, [{ addr: h1.addr, port: 8081 }]);
    const saved = (await h1.exec(['iptables-save', '-t', 'nat'])).stdout;
    expect(saved).not.toContain('198.19.7.20');
    expect(saved).toContain('198.19.7.21');
    expect(saved.match(/-A OUTPUT -j FLT-SERVICES/g)).toHaveLength(1);
    await fresh.close();
    expect((await h1.exec(['iptables-save'])).stdout).not.toContain('FLT-');
  });

  it('translates connections that arrive from another host (PREROUTING hook)', async () => {
    const h1 = th.hosts[0]!;
    const h2 = th.hosts[1]!;
    await startNamedServer(h1, h1.addr, 8091, 'on-h1');
    const vip: Vip = { addr: '198.19.7.30', port: 80, protocol: 'tcp' };
    // h2 sends VIP traffic to h1, as a node whose route points at a load-balancing peer would.
    await h2.exec(['ip', 'route', 'add', `${vip.addr}/32`, 'via', h1.addr]);
    const lb = new IptablesBackend({ run: runnerIn(h1) });
    try {
      await lb.ensureService(vip, [{ addr: h1.addr, port: 8091 }]);
      expect(new Set(await connectMany(h2, vip.addr, vip.port, 3))).toEqual(new Set(['on-h1']));
    } finally {
      await lb.close();
    }
    expect((await h1.exec(['iptables-save'])).stdout).not.toContain('FLT-');
  });

  it('balances UDP datagrams of new flows over the backends', async () => {
    const h1 = th.hosts[0]!;
    const h2 = th.hosts[1]!;
    await startNamedServer(h1, h1.addr, 5301, 'u1', 'udp');
    await startNamedServer(h2, h2.addr, 5302, 'u2', 'udp');
    const vip: Vip = { addr: '198.19.7.40', port: 53, protocol: 'udp' };
    const lb = new IptablesBackend({ run: runnerIn(h1) });
    try {
      await lb.ensureService(vip, [
        { addr: h1.addr, port: 5301 },
        { addr: h2.addr, port: 5302 },
      ]);
      expect(new Set(await connectMany(h1, vip.addr, vip.port, 20, 'udp'))).toEqual(new Set(['u1', 'u2']));
      await lb.ensureService(vip, [{ addr: h2.addr, port: 5302 }]);
      expect(new Set(await connectMany(h1, vip.addr, vip.port, 5, 'udp'))).toEqual(new Set(['u2']));
    } finally {
      await lb.close();
    }
  });

  it('reads back its own rules as iptables-save prints them, so an unchanged service is not rewritten', async () => {
    const h1 = th.hosts[0]!;
    const inputs: string[] = [];
    const inner = runnerIn(h1);
    const lb = new IptablesBackend({
      run: async (argv, input) => {
        if (input !== undefined) inputs.push(input);
        return inner(argv, input);
      },
    });
    const a: Vip = { addr: '198.19.7.50', port: 80, protocol: 'tcp' };
    const b: Vip = { addr: '198.19.7.51', port: 53, protocol: 'udp' };
    const three = [1, 2, 3].map((k) => ({ addr: h1.addr, port: 9000 + k }));
    try {
      await lb.ensureService(a, three);
      await lb.ensureService(b, three);
      await lb.ensureService(a, three);
      expect(inputs.at(-1)).toBe('*nat\nCOMMIT\n');
      await lb.ensureService(b, three.slice(1));
      expect(inputs.at(-1)).not.toContain('198.19.7.50');
      expect(inputs.at(-1)).toContain(`--to-destination ${h1.addr}:9002`);
    } finally {
      await lb.close();
    }
  });
});
