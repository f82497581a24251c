import { describe, expect, it } from 'vitest';
import { buildIndex, decide, lookup, type DnsTable } from '../src/index.js';

const table: DnsTable = {
  services: [
    {
      name: 'web',
      endpointMode: 'vip',
      vip: '198.19.0.5',
      tasks: [
        { slot: 1, taskId: 'abc123', addr: '10.0.1.3' },
        { slot: 2, taskId: 'def456', addr: '10.0.1.4' },
      ],
    },
    { name: 'db', endpointMode: 'dnsrr', tasks: [{ slot: 1, taskId: 'x1', addr: '10.0.1.9' }, { slot: 2, taskId: 'x2', addr: '10.0.1.10' }] },
  ],
};

describe('DNS table (pure)', () => {
  const index = buildIndex(table);

  it('answers a vip-mode service with its VIP and a dnsrr one with every task', () => {
    expect(lookup(index, 'web')).toEqual({ kind: 'records', addrs: ['198.19.0.5'] });
    expect(lookup(index, 'WEB.')).toEqual({ kind: 'records', addrs: ['198.19.0.5'] });
    expect(lookup(index, 'db')).toEqual({ kind: 'records', addrs: ['10.0.1.9', '10.0.1.10'] });
  });

  it('answers tasks.<service> and <service>.<slot>.<taskId>', () => {
    expect(lookup(index, 'tasks.web')).toEqual({ kind: 'records', addrs: ['10.0.1.3', '10.0.1.4'] });
    expect(lookup(index, 'web.2.def456')).toEqual({ kind: 'records', addrs: ['10.0.1.4'] });
  });

  it('says NXDOMAIN for unknown names of our shapes and forwards the rest', () => {
    expect(lookup(index, 'nosuch')).toEqual({ kind: 'nxdomain' });
    expect(lookup(index, 'tasks.nosuch')).toEqual({ kind: 'nxdomain' });
    expect(lookup(index, 'web.3.zzz')).toEqual({ kind: 'nxdomain' });
    expect(lookup(index, 'example.test')).toEqual({ kind: 'forward' });
    expect(lookup(index, 'a.b.example.test')).toEqual({ kind: 'forward' });
  });

  it('refuses a table it cannot serve', () => {
    expect(() => buildIndex({ services: [{ name: 'web', endpointMode: 'vip', tasks: [] }] })).toThrow(/needs an IPv4 VIP/);
    expect(() => buildIndex({ services: [{ name: 'a.b', endpointMode: 'dnsrr', tasks: [] }] })).toThrow(/single DNS label/);
    expect(() =>
      buildIndex({ services: [{ name: 'x', endpointMode: 'dnsrr', tasks: [{ slot: 1, taskId: 't', addr: 'nope' }] }] }),
    ).toThrow(/not IPv4/);
  });

  it('rotates several addresses with the query id and gives other types an empty NOERROR', () => {
    const q = (id: number, type: 'A' | 'AAAA') => ({ id, type: 'query' as const, flags: 0, questions: [{ type, name: 'db' }] });
    const a0 = decide(index, q(0, 'A'), 30);
    const a1 = decide(index, q(1, 'A'), 30);
    const addrs = (d: ReturnType<typeof decide>) => (d.kind === 'reply' ? d.packet.answers?.map((a) => ('data' in a ? a.data : undefined)) : undefined);
    expect(addrs(a0)).toEqual(['10.0.1.9', '10.0.1.10']);
    expect(addrs(a1)).toEqual(['10.0.1.10', '10.0.1.9']);
    const aaaa = decide(index, q(1, 'AAAA'), 30);
    expect(aaaa.kind === 'reply' && (aaaa.packet.flags ?? 0) & 0xf).toBe(0);
    expect(addrs(aaaa)).toEqual([]);
  });
});

describe('DNS aliases (a stack service reached by its short name)', () => {
  const index = buildIndex({
    services: [
      { name: 'app_web', endpointMode: 'vip', vip: '198.19.0.5', tasks: [{ slot: 1, taskId: 't1', addr: '10.0.1.3' }], aliases: ['web', 'www', 'not a label'] },
      { name: 'app_db', endpointMode: 'dnsrr', tasks: [{ slot: 1, taskId: 't2', addr: '10.0.1.9' }], aliases: ['db', 'www', 'app_web'] },
      { name: 'db', endpointMode: 'vip', vip: '198.19.0.7', tasks: [] },
    ],
  });

  it('answers an alias like the name, tasks.<alias> too', () => {
    expect(lookup(index, 'web')).toEqual({ kind: 'records', addrs: ['198.19.0.5'] });
    expect(lookup(index, 'tasks.web')).toEqual({ kind: 'records', addrs: ['10.0.1.3'] });
  });

  it('a service name wins over an alias, the first service over a later one; a bad alias is not served', () => {
    expect(lookup(index, 'db')).toEqual({ kind: 'records', addrs: ['198.19.0.7'] });
    expect(lookup(index, 'www')).toEqual({ kind: 'records', addrs: ['198.19.0.5'] });
    expect(lookup(index, 'app_web')).toEqual({ kind: 'records', addrs: ['198.19.0.5'] });
    expect(index.records.has('not a label')).toBe(false);
  });
});
