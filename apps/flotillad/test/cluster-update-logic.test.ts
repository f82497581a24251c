import { validateClusterSpec, type UpdateClusterRequest } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { clusterView, updatedClusterSpec } from '../src/control/cluster-handlers.js';

const none: UpdateClusterRequest = { dispatcherHeartbeatMs: 0, certExpiryMs: 0, setTaskHistoryLimit: false, taskHistoryLimit: 0, gossipKeyRotationMs: 0 };

describe('swarm update: the new cluster spec', () => {
  const current = validateClusterSpec({});

  it('changes only what the request names', () => {
    const spec = updatedClusterSpec(current, { ...none, dispatcherHeartbeatMs: 1_000, setTaskHistoryLimit: true, taskHistoryLimit: 0 });
    expect(spec.dispatcher?.heartbeatPeriodMs).toBe(1_000);
    expect(spec.orchestration?.taskHistoryRetentionLimit).toBe(0);
    expect(spec.caConfig?.nodeCertExpiryMs).toBe(current.caConfig?.nodeCertExpiryMs);
    expect(spec.gossip?.keyRotationIntervalMs).toBe(current.gossip?.keyRotationIntervalMs);
    expect(spec.networkPool).toEqual(current.networkPool);
    expect(updatedClusterSpec(current, { ...none, gossipKeyRotationMs: 5_000, certExpiryMs: 7_200_000 })).toMatchObject({ gossip: { keyRotationIntervalMs: 5_000 }, caConfig: { nodeCertExpiryMs: 7_200_000 } });
  });

  it('refuses what docker refuses: negative values, certificates shorter than an hour', () => {
    expect(() => updatedClusterSpec(current, { ...none, dispatcherHeartbeatMs: -5 })).toThrow(/--dispatcher-heartbeat must be a positive duration/);
    expect(() => updatedClusterSpec(current, { ...none, setTaskHistoryLimit: true, taskHistoryLimit: -1 })).toThrow(/--task-history-limit must be 0 or more/);
    expect(() => updatedClusterSpec(current, { ...none, certExpiryMs: 60_000 })).toThrow(/nodeCertExpiryMs/);
  });

  it('the view fills in defaults and tells the keyring state', () => {
    const view = clusterView({ id: 'c1', spec: {} as never, gossipKeys: [{ key: Buffer.alloc(32), lamportTime: 1, createdAtMs: 42 }], deniedNodeIds: [], dataPathPort: 0 });
    expect(view).toMatchObject({ id: 'c1', dispatcherHeartbeatMs: 5_000, taskHistoryLimit: 5, gossipKeyRotationMs: 43_200_000, gossipKeys: 1, gossipPrimaryCreatedMs: 42 });
  });
});
