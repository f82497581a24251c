import { describe, expect, it } from 'vitest';
import { chainNames, parseNatSave, renderRestore, serviceChain, serviceRules, type Vip } from '../src/index.js';

const names = chainNames('FLT-');
const vip: Vip = { addr: '198.19.0.1', port: 80, protocol: 'tcp' };
const empty = { chains: [], hooks: {}, rules: {} };

describe('iptables rule computation (pure)', () => {
  it('gives backend i of n the probability 1/(n-i) (as the kernel rounds it) and the last one the rest', () => {
    const rules = serviceRules('C', { vip, backends: [1, 2, 3].map((i) => ({ addr: `10.0.0.${i}`, port: 8080 })) });
    expect(rules).toEqual([
      '-A C -p tcp -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.0.0.1:8080',
      '-A C -p tcp -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.0.0.2:8080',
      '-A C -p tcp -j DNAT --to-destination 10.0.0.3:8080',
    ]);
  });

  it('names chains under 28 characters, stable per VIP, distinct per protocol', () => {
    const tcp = serviceChain(vip, names);
    expect(tcp).toMatch(/^FLT-SVC-[0-9A-F]{16}$/);
    expect(tcp.length).toBeLessThanOrEqual(28);
    expect(serviceChain({ ...vip }, names)).toBe(tcp);
    expect(serviceChain({ ...vip, protocol: 'udp' }, names)).not.toBe(tcp);
  });

  it('creates the top chain, hooks it once from PREROUTING and OUTPUT, and jumps per VIP', () => {
    const out = renderRestore([{ vip, backends: [{ addr: '10.0.0.1', port: 80 }] }], empty, names).split('\n');
    const chain = serviceChain(vip, names);
    expect(out).toEqual([
      '*nat',
      `:${chain} - [0:0]`,
      ':FLT-SERVICES - [0:0]',
      '-A PREROUTING -j FLT-SERVICES',
      '-A OUTPUT -j FLT-SERVICES',
      `-A ${chain} -p tcp -j DNAT --to-destination 10.0.0.1:80`,
      `-A FLT-SERVICES -d 198.19.0.1/32 -p tcp -m tcp --dport 80 -j ${chain}`,
      'COMMIT',
      '',
    ]);
  });

  it('does not add hooks again when they exist, and drops duplicates', () => {
    const chain = serviceChain(vip, names);
    const observed = { chains: ['FLT-SERVICES', chain], hooks: { OUTPUT: 1, PREROUTING: 2 }, rules: {} };
    const out = renderRestore([{ vip, backends: [] }], observed, names);
    expect(out).not.toContain('-A OUTPUT');
    expect(out).not.toContain('-A PREROUTING');
    expect(out.match(/-D PREROUTING -j FLT-SERVICES/g)).toHaveLength(1);
    expect(out).not.toContain('-X');
  });

  it('removes stale chains and, with nothing left, the hooks and the top chain', () => {
    const stale = 'FLT-SVC-0000000000000000';
    const observed = { chains: ['FLT-SERVICES', stale], hooks: { OUTPUT: 1, PREROUTING: 1 }, rules: {} };
    const out = renderRestore([], observed, names).split('\n');
    expect(out).toEqual([
      '*nat',
      ':FLT-SERVICES - [0:0]',
      `:${stale} - [0:0]`,
      '-D PREROUTING -j FLT-SERVICES',
      '-D OUTPUT -j FLT-SERVICES',
      '-X FLT-SERVICES',
      `-X ${stale}`,
      'COMMIT',
      '',
    ]);
  });

  it('with nothing installed and nothing wanted, touches nothing', () => {
    expect(renderRestore([], empty, names)).toBe('*nat\nCOMMIT\n');
  });

  it('reads our chains and hooks from iptables-save output, ignoring other tables and chains', () => {
    const save = [
      '*filter',
      ':FLT-NOTNAT - [0:0]',
      'COMMIT',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':DOCKER - [0:0]',
      ':FLT-SERVICES - [0:0]',
      ':FLT-SVC-AB - [0:0]',
      '-A PREROUTING -j FLT-SERVICES',
      '-A OUTPUT -j FLT-SERVICES',
      '-A OUTPUT -j FLT-SERVICES',
      '-A OUTPUT -j DOCKER',
      '-A FLT-SERVICES -j FLT-SVC-AB',
      'COMMIT',
    ].join('\n');
    expect(parseNatSave(save, 'FLT-', 'FLT-SERVICES')).toEqual({
      chains: ['FLT-SERVICES', 'FLT-SVC-AB'],
      hooks: { PREROUTING: 1, OUTPUT: 2 },
      rules: { 'FLT-SERVICES': ['-A FLT-SERVICES -j FLT-SVC-AB'] },
    });
  });

  it('gives a service without backends an empty chain that is still jumped to', () => {
    const chain = serviceChain(vip, names);
    const out = renderRestore([{ vip, backends: [] }], empty, names);
    expect(out).toContain(`:${chain} - [0:0]`);
    expect(out).toContain(`-j ${chain}`);
    expect(out).not.toContain('DNAT');
  });

  it('uses the udp match for UDP services', () => {
    const udp: Vip = { addr: '198.19.0.2', port: 53, protocol: 'udp' };
    const out = renderRestore([{ vip: udp, backends: [{ addr: '10.0.0.1', port: 5353 }] }], empty, names);
    expect(out).toContain(`-A FLT-SERVICES -d 198.19.0.2/32 -p udp -m udp --dport 53 -j ${serviceChain(udp, names)}`);
    expect(out).toContain('-p udp -j DNAT --to-destination 10.0.0.1:5353');
  });

  it('rewrites only the chains whose rules changed', () => {
    const other: Vip = { addr: '198.19.0.9', port: 443, protocol: 'tcp' };
    const before = [
      { vip, backends: [{ addr: '10.0.0.1', port: 80 }, { addr: '10.0.0.2', port: 80 }] },
      { vip: other, backends: [{ addr: '10.0.0.3', port: 443 }] },
    ];
    // What iptables-save prints after applying `before` (its own formatting of our rules).
    const first = renderRestore(before, empty, names).split('\n');
    const save = ['*nat', ...first.filter((l) => l.startsWith(':') || l.startsWith('-A ')), 'COMMIT'].join('\n');
    const observed = parseNatSave(save, 'FLT-', 'FLT-SERVICES');
    expect(renderRestore(before, observed, names)).toBe('*nat\nCOMMIT\n');

    const after = [before[0]!, { vip: other, backends: [{ addr: '10.0.0.4', port: 443 }] }];
    const out = renderRestore(after, observed, names).split('\n');
    const otherChain = serviceChain(other, names);
    expect(out).toEqual(['*nat', `:${otherChain} - [0:0]`, `-A ${otherChain} -p tcp -j DNAT --to-destination 10.0.0.4:443`, 'COMMIT', '']);
  });
});
