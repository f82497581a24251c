import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHosts, waitFor, type TestHost, type TestHosts } from '@flotilla/testkit';
import { startControllerIn, type ControllerInHost } from './helpers/controller-in-host.js';
import { addRemoteEndpoint, makeContainer, makeOverlay, removeContainer, resolveIn, type FakeContainer, type OverlayDef } from './helpers/overlay-fixture.js';
import { overlay, service, state } from './helpers/network-state.js';
import { connectMany, startNamedServer } from './helpers/netns-servers.js';

// Real packets end to end on three test hosts: h1 and h2 are nodes with an overlay network
// "mynet" and the ingress network (made by hand, shaped like the agent's), a task of "web"
// on each (namespaces of our own standing in for containers), and a NodeLbController in each
// node's namespace fed NodeNetworkStates as the dispatcher would send them; h3 is an
// outside client of the routing mesh.
const MYNET: OverlayDef = { vni: 4097, gateway: '198.19.1.1', prefixLen: 24 };
const INGRESS: OverlayDef = { vni: 4096, gateway: '198.19.255.1', prefixLen: 24 };
const VIP = '198.19.1.2';

describe('node load balancer, DNS and routing mesh with real packets', () => {
  let th: TestHosts;
  let h1: TestHost;
  let h2: TestHost;
  let h3: TestHost;
  const containers: { host: TestHost; c: FakeContainer }[] = [];
  let client: FakeContainer;
  let ctl1: ControllerInHost;
  let ctl2: ControllerInHost;

  const nodeState = (seq: number, tbServing: boolean, forNode: TestHost) => {
    const peer = forNode === h1 ? h2.addr : h1.addr;
    return state(
      seq,
      [overlay('ing', 'ingress', '198.19.255.0/24', INGRESS.gateway, INGRESS.vni, [peer], true), overlay('net1', 'mynet', '198.19.1.0/24', MYNET.gateway, MYNET.vni, [peer])],
      [
        service('svc-web', 'web', {
          vips: { net1: `${VIP}/24`, ing: '198.19.255.2/24' },
          ports: [{ target: 80, published: 18080 }, { target: 5353, published: 15353, udp: true }],
          tasks: [
            { id: 'taskaaa', slot: 1, node: 'n1', nodeAddr: h1.addr, addrs: { net1: '198.19.1.3/24', ing: '198.19.255.3/24' } },
            { id: 'taskbbb', slot: 2, node: 'n2', nodeAddr: h2.addr, serving: tbServing, addrs: { net1: '198.19.1.4/24', ing: '198.19.255.4/24' } },
          ],
        }),
      ],
    );
  };

  beforeAll(async () => {
    th = await createTestHosts({ count: 3, prefix: 'flm' });
    [h1, h2, h3] = th.hosts as [TestHost, TestHost, TestHost];
    for (const [h, peer] of [[h1, h2], [h2, h1]] as const) {
      await makeOverlay(h, MYNET, [peer.addr]);
      await makeOverlay(h, INGRESS, [peer.addr]);
    }
    // A task container is on both networks; its default route is the ingress gateway, as Docker
    // gives a task published through the mesh.
    const ta = await makeContainer(h1, 'ta', [{ net: MYNET, ip: '198.19.1.3' }, { net: INGRESS, ip: '198.19.255.3' }], INGRESS.gateway);
    const tb = await makeContainer(h2, 'tb', [{ net: MYNET, ip: '198.19.1.4' }, { net: INGRESS, ip: '198.19.255.4' }], INGRESS.gateway);
    client = await makeContainer(h1, 'cl', [{ net: MYNET, ip: '198.19.1.10' }], MYNET.gateway);
    await addRemoteEndpoint(h1, MYNET, '198.19.1.4', h2.addr);
    await addRemoteEndpoint(h1, INGRESS, '198.19.255.4', h2.addr);
    for (const ip of ['198.19.1.3', '198.19.1.10']) await addRemoteEndpoint(h2, MYNET, ip, h1.addr);
    await addRemoteEndpoint(h2, INGRESS, '198.19.255.3', h1.addr);
    containers.push({ host: h1, c: ta }, { host: h2, c: tb }, { host: h1, c: client });
    await startNamedServer(ta, '0.0.0.0', 80, 'a');
    await startNamedServer(tb, '0.0.0.0', 80, 'b');
    await startNamedServer(ta, '0.0.0.0', 5353, 'ua', 'udp');
    await startNamedServer(tb, '0.0.0.0', 5353, 'ub', 'udp');
    ctl1 = await startControllerIn(h1, 'n1', 'h1');
    ctl2 = await startControllerIn(h2, 'n2', 'h2');
  }, 180_000);

  afterAll(async () => {
    await ctl1?.close().catch(() => undefined);
    await ctl2?.close().catch(() => undefined);
    for (const { host, c } of containers) await removeContainer(host, c);
    await th?.destroy();
  });

  it('balances the VIP over tasks on both hosts, answers service and task names, and drops a task that stops serving', async () => {
    await ctl1.apply(nodeState(1, true, h1));
    await ctl2.apply(nodeState(1, true, h2));

    const names = await waitFor(
      async () => {
        const r = await resolveIn(client, MYNET.gateway, ['web', 'tasks.web', 'web.1.taskaaa', 'nosuch']);
        return Array.isArray(r.web) ? r : undefined;
      },
      { what: 'the embedded DNS on the mynet gateway to answer', timeoutMs: 30_000 },
    );
    expect(names).toEqual({ web: [VIP], 'tasks.web': ['198.19.1.3', '198.19.1.4'], 'web.1.taskaaa': ['198.19.1.3'], nosuch: 'ENOTFOUND' });
    // Only mynet's containers are answered. h3 is none: routing mynet through h1, it reaches the
    // gateway address (it pings it), but the DNS there does not answer it.
    await h3.exec(['ip', 'route', 'add', '198.19.1.0/24', 'via', h1.addr]);
    try {
      await waitFor(async () => (await h3.exec(['busybox', 'ping', '-c', '1', '-W', '1', MYNET.gateway], { allowFailure: true })).code === 0, { what: 'h3 to reach the mynet gateway through h1', timeoutMs: 10_000 });
      expect(await resolveIn(h3, MYNET.gateway, ['web'])).toEqual({ web: 'ETIMEOUT' });
    } finally {
      await h3.exec(['ip', 'route', 'del', '198.19.1.0/24', 'via', h1.addr]);
    }

    // Through the VIP from a container on the network: the local task and the one across VXLAN.
    expect(new Set(await connectMany(client, VIP, 80, 20))).toEqual(new Set(['a', 'b']));

    // Task b stops serving (unhealthy or stopping): the next state drops it from VIP and DNS.
    await ctl1.apply(nodeState(2, false, h1));
    expect(new Set(await connectMany(client, VIP, 80, 10))).toEqual(new Set(['a']));
    expect((await resolveIn(client, MYNET.gateway, ['tasks.web']))['tasks.web']).toEqual(['198.19.1.3']);

    await ctl1.apply(nodeState(3, true, h1));
    expect(new Set(await connectMany(client, VIP, 80, 20))).toEqual(new Set(['a', 'b']));
  });

  it('answers the published port on every node and reaches the tasks on both', async () => {
    await ctl1.apply(nodeState(4, true, h1));
    await ctl2.apply(nodeState(4, true, h2));
    // h3 is outside: it reaches each node's address on the published port.
    expect(new Set(await connectMany(h3, h1.addr, 18080, 20))).toEqual(new Set(['a', 'b']));
    expect(new Set(await connectMany(h3, h2.addr, 18080, 20))).toEqual(new Set(['a', 'b']));
    // Only the published port: a task's own port (80) is not reachable on the node's address.
    expect(await connectMany(h3, h1.addr, 80, 1)).toEqual(['error:ECONNREFUSED']);
    // On each node itself, localhost too (iptables leaves 127/8 alone: the loopback listener serves it).
    expect(new Set(await connectMany(h1, '127.0.0.1', 18080, 20))).toEqual(new Set(['a', 'b']));
    expect(new Set(await connectMany(h2, '127.0.0.1', 18080, 20))).toEqual(new Set(['a', 'b']));

    // b stops serving: both nodes learn it and send everything to a.
    await ctl1.apply(nodeState(5, false, h1));
    await ctl2.apply(nodeState(5, false, h2));
    expect(new Set(await connectMany(h3, h1.addr, 18080, 10))).toEqual(new Set(['a']));
    expect(new Set(await connectMany(h3, h2.addr, 18080, 10))).toEqual(new Set(['a']));
    expect(new Set(await connectMany(h2, '127.0.0.1', 18080, 10))).toEqual(new Set(['a']));
  });

  it('balances UDP too, through the VIP and through a published UDP port on every node', async () => {
    await ctl1.apply(nodeState(6, true, h1));
    await ctl2.apply(nodeState(6, true, h2));
    // Each datagram from a fresh socket is a new flow, balanced on its own.
    expect(new Set(await connectMany(client, VIP, 5353, 20, 'udp'))).toEqual(new Set(['ua', 'ub']));
    expect(new Set(await connectMany(h3, h1.addr, 15353, 20, 'udp'))).toEqual(new Set(['ua', 'ub']));
    expect(new Set(await connectMany(h3, h2.addr, 15353, 20, 'udp'))).toEqual(new Set(['ua', 'ub']));
  });

  it('leaves nothing behind on close: no FLT- rules, no VIP address, no DNS listener', async () => {
    await ctl1.close();
    await ctl2.close();
    for (const h of [h1, h2]) {
      const saved = (await h.exec(['iptables-save'])).stdout;
      expect(saved).not.toContain('FLT-');
      const addrs = (await h.exec(['ip', '-4', 'addr', 'show', 'dev', `fltbr-${MYNET.vni}`])).stdout;
      expect(addrs).not.toContain(VIP);
    }
    const r = await resolveIn(client, MYNET.gateway, ['web']);
    expect(r.web).toMatch(/ECONNREFUSED|ETIMEOUT|ESERVFAIL/);
    expect(await connectMany(h1, '127.0.0.1', 18080, 1)).toEqual(['error:ECONNREFUSED']);
  });

  it('without iptables: the userspace routing mesh answers the published port on every node and reaches both tasks', async () => {
    const us1 = await startControllerIn(h1, 'n1', 'u1', { kind: 'userspace' });
    const us2 = await startControllerIn(h2, 'n2', 'u2', { kind: 'userspace' });
    try {
      await us1.apply(nodeState(7, true, h1));
      await us2.apply(nodeState(7, true, h2));
      for (const h of [h1, h2]) expect((await h.exec(['iptables-save'])).stdout).not.toContain('FLT-');
      expect(new Set(await connectMany(h3, h1.addr, 18080, 20))).toEqual(new Set(['a', 'b']));
      expect(new Set(await connectMany(h3, h2.addr, 18080, 20))).toEqual(new Set(['a', 'b']));
      expect(new Set(await connectMany(h1, '127.0.0.1', 18080, 20))).toEqual(new Set(['a', 'b']));
      await us1.apply(nodeState(8, false, h1));
      await us2.apply(nodeState(8, false, h2));
      expect(new Set(await connectMany(h3, h2.addr, 18080, 10))).toEqual(new Set(['a']));
    } finally {
      await us1.close();
      await us2.close();
    }
    expect(await connectMany(h3, h1.addr, 18080, 1)).toEqual(['error:ECONNREFUSED']);
  });
});
