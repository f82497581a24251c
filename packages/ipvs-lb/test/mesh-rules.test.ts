import { describe, expect, it } from 'vitest';
import { meshChains, parseTableSave, renderMeshRestore, validateMesh, type PlannedMeshPort } from '../src/index.js';

const C = meshChains('FLT-Mt1-');
const web: PlannedMeshPort = {
  serviceId: 's1',
  serviceName: 'web',
  protocol: 'tcp',
  publishedPort: 18080,
  targetPort: 80,
  targets: [
    { kind: 'local', taskId: 'a', addr: '198.19.255.3', port: 80 },
    { kind: 'remote', taskId: 'b', addr: '198.18.0.12', port: 18080 },
  ],
};
const none = { nat: { chains: [], hooks: {} }, filter: { chains: [], hooks: {} } };

describe('routing mesh rules', () => {
  it('balances over local task addresses and remote nodes, keeps peers local, masquerades only what goes to another node', () => {
    const text = renderMeshRestore({ ports: [web], peers: ['198.18.0.12'] }, none, C);
    expect(text).toContain('-A PREROUTING -j FLT-Mt1-INGRESS');
    expect(text).toContain('-A OUTPUT -j FLT-Mt1-INGRESS');
    expect(text).toContain('-A POSTROUTING -j FLT-Mt1-SNAT');
    expect(text).toContain('-I FORWARD 1 -j FLT-Mt1-FORWARD');
    expect(text).toContain('-A FLT-Mt1-INGRESS ! -d 127.0.0.0/8 -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 18080 -j FLT-Mt1-TCP-18080');
    expect(text).toContain('-A FLT-Mt1-TCP-18080 -s 198.18.0.12/32 -j FLT-Mt1-TCP-18080-L');
    expect(text).toContain('-A FLT-Mt1-TCP-18080 -p tcp -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 198.19.255.3:80');
    expect(text).toContain('-A FLT-Mt1-TCP-18080 -p tcp -j DNAT --to-destination 198.18.0.12:18080');
    expect(text).toContain('-A FLT-Mt1-TCP-18080-L -p tcp -j DNAT --to-destination 198.19.255.3:80');
    expect(text).toContain('-A FLT-Mt1-SNAT -d 198.18.0.12/32 -p tcp -m conntrack --ctstate DNAT -m tcp --dport 18080 -j MASQUERADE');
    expect(text).not.toMatch(/SNAT -d 198\.19\.255\.3/);
    expect(text).toContain('-A FLT-Mt1-FORWARD -p tcp -m conntrack --ctstate DNAT --ctorigdstport 18080 -j ACCEPT');
  });

  it('refuses (leaves alone) a connection from a peer when no task is local, so it is never sent on again', () => {
    const remoteOnly = { ...web, targets: [web.targets[1]!] };
    const text = renderMeshRestore({ ports: [remoteOnly], peers: ['198.18.0.12'] }, none, C);
    expect(text).toContain('-A FLT-Mt1-TCP-18080-L -j ACCEPT');
  });

  it('adds hooks only when missing and removes everything with the last port', () => {
    const saved = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':FLT-Mt1-INGRESS - [0:0]',
      ':FLT-Mt1-SNAT - [0:0]',
      ':FLT-Mt1-TCP-18080 - [0:0]',
      ':FLT-Mt1-TCP-18080-L - [0:0]',
      '-A PREROUTING -j FLT-Mt1-INGRESS',
      '-A OUTPUT -j FLT-Mt1-INGRESS',
      '-A POSTROUTING -j FLT-Mt1-SNAT',
      'COMMIT',
      '*filter',
      ':FLT-Mt1-FORWARD - [0:0]',
      '-A FORWARD -j FLT-Mt1-FORWARD',
      'COMMIT',
    ].join('\n');
    const observed = { nat: parseTableSave(saved, 'nat', C.prefix), filter: parseTableSave(saved, 'filter', C.prefix) };
    expect(observed.nat.hooks).toEqual({ 'PREROUTING>FLT-Mt1-INGRESS': 1, 'OUTPUT>FLT-Mt1-INGRESS': 1, 'POSTROUTING>FLT-Mt1-SNAT': 1 });
    const again = renderMeshRestore({ ports: [web], peers: [] }, observed, C);
    expect(again).not.toMatch(/-A (PREROUTING|OUTPUT|POSTROUTING) /);
    expect(again).not.toContain('-I FORWARD');
    const empty = renderMeshRestore({ ports: [], peers: [] }, observed, C);
    for (const ch of ['FLT-Mt1-INGRESS', 'FLT-Mt1-SNAT', 'FLT-Mt1-TCP-18080', 'FLT-Mt1-TCP-18080-L', 'FLT-Mt1-FORWARD']) expect(empty).toContain(`-X ${ch}`);
    expect(empty).toContain('-D PREROUTING -j FLT-Mt1-INGRESS');
    expect(empty).toContain('-D FORWARD -j FLT-Mt1-FORWARD');
  });

  it('refuses bad input', () => {
    expect(() => validateMesh({ ports: [web, web], peers: [] })).toThrow(/published twice/);
    expect(() => validateMesh({ ports: [{ ...web, targets: [{ kind: 'local', taskId: 'x', addr: 'nope', port: 80 }] }], peers: [] })).toThrow(/not an IPv4/);
    expect(() => validateMesh({ ports: [web], peers: ['x'] })).toThrow(/mesh peer/);
    expect(() => meshChains('FLT-MUCH-TOO-LONG-PREFIX-')).toThrow(/too long/);
  });
});
