// The pure parts of the test-host harness: names, parsing of /proc and
// mountinfo, the network plan. No root or namespaces needed.
import { describe, expect, it } from 'vitest';
import { cutoffRules, iptablesArgs } from '../src/test-hosts/cutoff.js';
import { mountsUnder } from '../src/test-hosts/mounts.js';
import { hostNames, MAX_HOSTS, newRunId, runIdOf, runNames, validateHostCount, validatePrefix } from '../src/test-hosts/names.js';
import { bridgeSetup, forwardRules, hostSetup } from '../src/test-hosts/network.js';
import { parseStat, withDescendants } from '../src/test-hosts/processes.js';

describe('test-host names', () => {
  it('keeps every interface name within 15 chars, up to the largest run', () => {
    const run = runNames('flt', newRunId(), '/tmp');
    expect(run.bridge.length).toBeLessThanOrEqual(15);
    expect(hostNames(run, 0, MAX_HOSTS).veth.length).toBeLessThanOrEqual(15);
  });

  it('gives hosts .11, .12, ... of the run subnet and their own docker bridge subnet', () => {
    const run = runNames('flt', 'ab12cd', '/tmp');
    const h1 = hostNames(run, 0, 1);
    const h2 = hostNames(run, 3, 2);
    expect(h1).toMatchObject({ name: 'h1', netns: 'flt-ab12cd-h1', veth: 'fltab12cdh1', addr: '198.18.0.11', dockerBip: '172.30.1.1/24', execRoot: '/run/flt-ab12cd/h1', dir: '/tmp/flt-ab12cd/h1' });
    expect(h2.addr).toBe('198.18.3.12');
    expect(run).toMatchObject({ bridge: 'fltab12cdbr', tag: 'flt-ab12cd', ownerFile: '/run/flt-ab12cd.owner' });
  });

  it('parses its own names back to the run id and nothing else', () => {
    const run = runNames('flt', 'ab12cd', '/tmp');
    const h7 = hostNames(run, 0, 7);
    expect(runIdOf('netns', h7.netns, 'flt')).toBe('ab12cd');
    expect(runIdOf('link', h7.veth, 'flt')).toBe('ab12cd');
    expect(runIdOf('link', run.bridge, 'flt')).toBe('ab12cd');
    expect(runIdOf('owner', 'flt-ab12cd.owner', 'flt')).toBe('ab12cd');
    expect(runIdOf('runDir', 'flt-ab12cd', 'flt')).toBe('ab12cd');
    for (const other of ['docker0', 'eth0', 'fltab12cd', 'fltab12cdh', 'flt-ab12cd-x1', 'flx-ab12cd-h1', 'fltab12cdeh1x', 'veth123']) {
      expect(runIdOf('netns', other, 'flt')).toBeUndefined();
      expect(runIdOf('link', other, 'flt')).toBeUndefined();
    }
    // Another prefix's names never parse as this prefix's.
    expect(runIdOf('link', hostNames(runNames('fly', 'xabcde', '/tmp'), 0, 1).veth, 'flt')).toBeUndefined();
  });

  it('makes run ids of the fixed format, different each time', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newRunId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{6}$/);
  });

  it('rejects bad prefixes, counts and run ids with a clear error', () => {
    expect(() => validatePrefix('fltx')).toThrow(/exactly 3 lowercase letters/);
    expect(() => validatePrefix('F1t')).toThrow(/exactly 3 lowercase letters/);
    expect(() => validateHostCount(0)).toThrow(/from 1 to 200, got 0/);
    expect(() => validateHostCount(1.5)).toThrow(/integer/);
    expect(() => validateHostCount(MAX_HOSTS + 1)).toThrow(/from 1 to 200/);
    expect(() => runNames('flt', 'AB12CD')).toThrow(/bad test-host run id/);
  });
});

describe('test-host network plan', () => {
  const run = runNames('flt', 'ab12cd', '/tmp');
  it('builds the bridge with the gateway address and FORWARD rules, marked with the run tag, that keep traffic on the bridge', () => {
    const cmds = bridgeSetup(run, 0).map((c) => c.join(' '));
    expect(cmds).toContain('ip addr add 198.18.0.1/24 dev fltab12cdbr');
    // Inserted at the top last-first, so the chain ends up: accept within the bridge, drop out of it, drop into it.
    expect(cmds.slice(3)).toEqual([
      'iptables -w -I FORWARD 1 ! -i fltab12cdbr -o fltab12cdbr -m comment --comment flt-ab12cd -j DROP',
      'iptables -w -I FORWARD 1 -i fltab12cdbr ! -o fltab12cdbr -m comment --comment flt-ab12cd -j DROP',
      'iptables -w -I FORWARD 1 -i fltab12cdbr -o fltab12cdbr -m comment --comment flt-ab12cd -j ACCEPT',
    ]);
    for (const rule of forwardRules(run)) expect(rule).toContain('flt-ab12cd');
  });

  it('puts each host in its namespace with loopback up and a default route via the bridge', () => {
    const cmds = hostSetup(run, 0, hostNames(run, 0, 2)).map((c) => c.join(' '));
    expect(cmds[0]).toBe('ip netns add flt-ab12cd-h2');
    expect(cmds).toContain('ip link add fltab12cdh2 type veth peer name eth0 netns flt-ab12cd-h2');
    expect(cmds).toContain('ip link set fltab12cdh2 master fltab12cdbr up');
    expect(cmds).toContain('ip -n flt-ab12cd-h2 link set lo up');
    expect(cmds).toContain('ip -n flt-ab12cd-h2 addr add 198.18.0.12/24 dev eth0');
    expect(cmds).toContain('ip -n flt-ab12cd-h2 route add default via 198.18.0.1');
  });

  it('cuts off on the host link both ways, IPv4 and IPv6, and never on loopback', () => {
    const rules = cutoffRules().map((r) => iptablesArgs('-I', r).join(' '));
    expect(rules).toEqual([
      'iptables -w -t raw -I PREROUTING -i eth0 -m comment --comment flt-cutoff -j DROP',
      'iptables -w -t mangle -I POSTROUTING -o eth0 -m comment --comment flt-cutoff -j DROP',
      'ip6tables -w -t raw -I PREROUTING -i eth0 -m comment --comment flt-cutoff -j DROP',
      'ip6tables -w -t mangle -I POSTROUTING -o eth0 -m comment --comment flt-cutoff -j DROP',
    ]);
  });
});

describe('process and mount parsing', () => {
  it('reads pid, parent, state and start time from /proc stat, even with odd command names', () => {
    const line = '4242 (my (odd) cmd) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200 18446744073709551615';
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, state: 'S', startTicks: 987654 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('collects roots with all descendants, never pid 1', () => {
    const table = [
      { pid: 1, ppid: 0, state: 'S', startTicks: 0 },
      { pid: 10, ppid: 1, state: 'S', startTicks: 0 },
      { pid: 11, ppid: 10, state: 'S', startTicks: 0 },
      { pid: 12, ppid: 11, state: 'S', startTicks: 0 },
      { pid: 20, ppid: 1, state: 'S', startTicks: 0 },
    ];
    expect([...withDescendants([10], table)].sort()).toEqual([10, 11, 12]);
    expect([...withDescendants([1], table)]).toEqual([]);
  });

  it('lists mounts at or below the given dirs, deepest first, unescaping spaces', () => {
    const info = [
      '36 35 98:0 / /tmp/flt-ab12cd/h1/docker rw - ext4 /dev/x rw',
      '37 36 0:1 / /tmp/flt-ab12cd/h1/docker/overlay2/abc/merged rw - overlay overlay rw',
      '38 35 0:2 / /run/flt-ab12cd/h1/netns/f00 rw - nsfs nsfs rw',
      '39 35 0:3 / /tmp/flt-ab12cdX rw - tmpfs t rw',
      '40 35 0:4 / /tmp/flt-ab12cd/with\\040space rw - tmpfs t rw',
    ].join('\n');
    expect(mountsUnder(info, ['/tmp/flt-ab12cd', '/run/flt-ab12cd'])).toEqual([
      '/tmp/flt-ab12cd/h1/docker/overlay2/abc/merged',
      '/run/flt-ab12cd/h1/netns/f00',
      '/tmp/flt-ab12cd/h1/docker',
      '/tmp/flt-ab12cd/with space',
    ]);
  });
});
