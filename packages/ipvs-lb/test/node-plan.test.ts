import { describe, expect, it } from 'vitest';
import { planNode } from '../src/index.js';
import { overlay, service, state } from './helpers/network-state.js';

const LOCAL = { nodeId: 'n1', addr: '198.18.0.2' };
const ingress = overlay('ing', 'ingress', '198.19.255.0/24', '198.19.255.1', 4096, ['198.18.0.3'], true);
const mynet = overlay('net1', 'mynet', '198.19.1.0/24', '198.19.1.1', 4097, ['198.18.0.3']);
const other = overlay('net2', 'other', '198.19.2.0/24', '198.19.2.1', 4098, []);

const web = service('svc-web', 'web', {
  vips: { net1: '198.19.1.2/24', ing: '198.19.255.2/24' },
  ports: [{ target: 80, published: 18080 }],
  tasks: [
    { id: 'ta', slot: 1, node: 'n1', nodeAddr: '198.18.0.2', addrs: { net1: '198.19.1.3/24', ing: '198.19.255.3/24' } },
    { id: 'tb', slot: 2, node: 'n2', nodeAddr: '198.18.0.3', addrs: { net1: '198.19.1.4/24', ing: '198.19.255.4/24' } },
    { id: 'tc', slot: 3, node: 'n2', nodeAddr: '198.18.0.3', serving: false, addrs: { net1: '198.19.1.5/24', ing: '198.19.255.5/24' } },
  ],
});
const db = service('svc-db', 'db', {
  dnsrr: true,
  tasks: [
    { id: 'td1', slot: 1, node: 'n2', nodeAddr: '198.18.0.3', addrs: { net2: '198.19.2.3/24' } },
    { id: 'td2', slot: 2, node: 'n1', nodeAddr: '198.18.0.2', addrs: { net2: '198.19.2.4/24' } },
  ],
});

describe('planNode', () => {
  it('balances each VIP over the serving tasks on that network, every port, TCP and UDP', () => {
    const plan = planNode(state(1, [ingress, mynet, other], [web, db]), LOCAL);
    expect(plan.vips.map((v) => [v.serviceName, v.networkId, v.vip.addr, v.vip.port, v.vip.protocol])).toEqual([
      ['web', 'net1', '198.19.1.2', 0, 'tcp'],
      ['web', 'net1', '198.19.1.2', 0, 'udp'],
    ]);
    // tc is not serving (starting, unhealthy or stopped): no backend.
    expect(plan.vips[0]!.backends).toEqual([
      { addr: '198.19.1.3', port: 0 },
      { addr: '198.19.1.4', port: 0 },
    ]);
    expect(plan.vips[0]!.declaredPorts).toEqual([80]);
    expect(plan.vips[1]!.declaredPorts).toEqual([]);
  });

  it('gives each network the names of its own services only, none on ingress', () => {
    const plan = planNode(state(1, [ingress, mynet, other], [web, db]), LOCAL);
    const byName = new Map(plan.networks.map((n) => [n.name, n]));
    expect(byName.get('ingress')!.dns.services).toEqual([]);
    expect(byName.get('ingress')!.vips).toEqual([]);
    expect(byName.get('mynet')!.dns.services).toEqual([
      { name: 'web', endpointMode: 'vip', vip: '198.19.1.2', tasks: [{ slot: 1, taskId: 'ta', addr: '198.19.1.3' }, { slot: 2, taskId: 'tb', addr: '198.19.1.4' }] },
    ]);
    expect(byName.get('mynet')!.vips).toEqual(['198.19.1.2']);
    expect(byName.get('mynet')!.gateway).toBe('198.19.1.1');
    expect(byName.get('mynet')!.vni).toBe(4097);
    // dnsrr: no VIP, no LB; the name answers every serving task.
    expect(byName.get('other')!.dns.services).toEqual([
      { name: 'db', endpointMode: 'dnsrr', tasks: [{ slot: 1, taskId: 'td1', addr: '198.19.2.3' }, { slot: 2, taskId: 'td2', addr: '198.19.2.4' }] },
    ]);
    expect(byName.get('other')!.vips).toEqual([]);
  });

  it('sends published ports to local tasks by ingress address and to remote ones through their node', () => {
    const plan = planNode(state(1, [ingress, mynet], [web]), LOCAL);
    expect(plan.mesh).toEqual([
      {
        serviceId: 'svc-web',
        serviceName: 'web',
        protocol: 'tcp',
        publishedPort: 18080,
        targetPort: 80,
        targets: [
          { kind: 'local', taskId: 'ta', addr: '198.19.255.3', port: 80 },
          { kind: 'remote', taskId: 'tb', addr: '198.18.0.3', port: 18080 },
        ],
      },
    ]);
    expect(plan.meshPeers).toEqual(['198.18.0.3']);
  });

  it('leaves host-mode ports to the engine and ingress ports unanswered without an ingress network', () => {
    const hostMode = service('svc-h', 'h', { vips: { net1: '198.19.1.9/24' }, ports: [{ target: 80, published: 8080, host: true }], tasks: [] });
    expect(planNode(state(1, [ingress, mynet], [hostMode]), LOCAL).mesh).toEqual([]);
    const plan = planNode(state(1, [mynet], [web]), LOCAL);
    expect(plan.mesh).toEqual([]);
    expect(plan.skipped.join('\n')).toMatch(/18080 published but this node has no ingress network/);
  });

  it('skips what is not allocated yet, with the reason', () => {
    const bare = { network: { id: 'n9', meta: undefined, spec: undefined, status: { ipam: [], vxlanId: 0 } }, peerAddrs: [] };
    const noVip = service('svc-x', 'x', { tasks: [{ id: 'tx', slot: 1, node: 'n1', nodeAddr: '198.18.0.2', addrs: { net1: '198.19.1.8/24' } }] });
    const plan = planNode(state(1, [bare, mynet], [noVip]), LOCAL);
    expect(plan.networks.map((n) => n.networkId)).toEqual(['net1']);
    expect(plan.vips).toEqual([]);
    expect(plan.skipped.join('\n')).toMatch(/network n9: not allocated yet/);
    expect(plan.skipped.join('\n')).toMatch(/service x \(svc-x\): no virtual IP on network net1/);
  });
});
