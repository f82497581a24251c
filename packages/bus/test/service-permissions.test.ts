// Issue 16: what each manager service may publish and subscribe to when it runs as its own
// process. The integration test (test/integration/service-permissions.test.ts) has a real
// nats-server enforce the same rules.
import { describe, expect, it } from 'vitest';
import { clusterSubjects, InvalidSubjectTokenError, servicePermissions } from '../src/index.js';

const s = clusterSubjects('c1');

describe('servicePermissions', () => {
  it.each(['scheduler', 'orchestrator', 'allocator'])('the %s: its own store subjects and inboxes, and the presence request', (name) => {
    expect(servicePermissions(s, name)).toEqual({
      publish: { allow: [`flt.c1.store.svc.${name}.>`] },
      subscribe: { allow: [`flt.c1.svc.${name}.>`, 'flt.c1.services.status'] },
      allowResponses: true,
    });
  });

  it("the dispatcher: also the agents' requests, the pushes to nodes and the managers' secret opening", () => {
    expect(servicePermissions(s, 'dispatcher')).toEqual({
      publish: { allow: ['flt.c1.store.svc.dispatcher.>', 'flt.c1.node.*.assignments', 'flt.c1.node.*.networks', 'flt.c1.manager.secrets'] },
      subscribe: { allow: ['flt.c1.svc.dispatcher.>', 'flt.c1.services.status', 'flt.c1.dispatcher.>'] },
      allowResponses: true,
    });
  });

  it('the CA signer: also its signing requests', () => {
    expect(servicePermissions(s, 'ca')).toEqual({
      publish: { allow: ['flt.c1.store.svc.ca.>'] },
      subscribe: { allow: ['flt.c1.svc.ca.>', 'flt.c1.services.status', 'flt.c1.ca.sign'] },
      allowResponses: true,
    });
  });

  it('no service may reach Raft, the full store, the control API, logs or another service subtree', () => {
    for (const name of ['scheduler', 'orchestrator', 'allocator', 'dispatcher', 'ca']) {
      const p = servicePermissions(s, name);
      const all = [...(p.publish?.allow ?? []), ...(p.subscribe?.allow ?? [])];
      expect(all.some((x) => /\.raft\.|^flt\.c1\.store\.(list|since|propose|events)|\.control\.|\.logs\.|^flt\.c1\.>$/.test(x))).toBe(false);
      expect(all.filter((x) => x.includes('.svc.')).every((x) => x.includes(`.svc.${name}.`))).toBe(true);
    }
  });

  it('scoped store subjects and inboxes name the service', () => {
    expect(s.store.scoped('scheduler')).toMatchObject({ list: 'flt.c1.store.svc.scheduler.list', eventsSince: 'flt.c1.store.svc.scheduler.since', propose: 'flt.c1.store.svc.scheduler.propose' });
    expect(s.store.scoped('scheduler').proposeTo('3')).toBe('flt.c1.store.svc.scheduler.propose.3');
    expect(s.store.scopedAny.proposeTo('3')).toBe('flt.c1.store.svc.*.propose.3');
    expect(s.services.inboxPrefix('scheduler', 'abc')).toBe('flt.c1.svc.scheduler.abc');
    expect(() => servicePermissions(s, '*')).toThrow(InvalidSubjectTokenError);
    expect(() => s.services.inboxPrefix('scheduler', 'a.b')).toThrow(InvalidSubjectTokenError);
  });
});
