import { Node, NodeRole, NodeState } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { denyNode, nodeRemovalRefusal } from '../src/control/node-removal.js';

const node = (role: NodeRole, state: NodeState, desiredRole = role): Node =>
  Node.fromPartial({ id: 'n1', role, spec: { desiredRole }, description: { hostname: 'host-1' }, status: { state } });

describe('node removal rules', () => {
  it('refuses a manager, even with --force, and a worker being promoted', () => {
    for (const n of [node(NodeRole.NODE_ROLE_MANAGER, NodeState.NODE_STATE_DOWN), node(NodeRole.NODE_ROLE_WORKER, NodeState.NODE_STATE_DOWN, NodeRole.NODE_ROLE_MANAGER)]) {
      for (const force of [false, true]) {
        expect(nodeRemovalRefusal(n, force, [])?.message).toBe('node host-1 is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal');
      }
    }
  });

  it('refuses a worker that is not down unless forced, and lets a down worker go', () => {
    for (const state of [NodeState.NODE_STATE_READY, NodeState.NODE_STATE_UNKNOWN, NodeState.NODE_STATE_DISCONNECTED]) {
      expect(nodeRemovalRefusal(node(NodeRole.NODE_ROLE_WORKER, state), false, [])?.message).toMatch(/^node host-1 is not down and can't be removed/);
      expect(nodeRemovalRefusal(node(NodeRole.NODE_ROLE_WORKER, state), true, [])).toBeUndefined();
    }
    expect(nodeRemovalRefusal(node(NodeRole.NODE_ROLE_WORKER, NodeState.NODE_STATE_DOWN), false, [])).toBeUndefined();
  });

  it('lets a manager dropped by --force-new-cluster (denied, no Raft member) go like a worker', () => {
    const dropped = node(NodeRole.NODE_ROLE_MANAGER, NodeState.NODE_STATE_DOWN);
    expect(nodeRemovalRefusal(dropped, false, ['n1'])).toBeUndefined();
    expect(nodeRemovalRefusal(node(NodeRole.NODE_ROLE_MANAGER, NodeState.NODE_STATE_READY), false, ['n1'])?.message).toMatch(/^node host-1 is not down and can't be removed/);
    expect(nodeRemovalRefusal(dropped, false, ['other'])?.message).toMatch(/is a member of the raft cluster/);
  });

  it('adds the removed id to the denied list once', () => {
    expect(denyNode([], 'n1')).toEqual(['n1']);
    expect(denyNode(['n0', 'n1'], 'n1')).toEqual(['n0', 'n1']);
  });
});
