import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { formatClusterView, swarmUpdateRequest } from '../src/commands/swarm-update.js';

describe('swarm update flags', () => {
  it('turns durations and the history limit into the request; absent flags stay 0/unset', () => {
    expect(swarmUpdateRequest({ dispatcherHeartbeat: '2s', gossipKeyRotation: '1h30m', taskHistoryLimit: '0' })).toEqual({
      dispatcherHeartbeatMs: 2_000,
      certExpiryMs: 0,
      setTaskHistoryLimit: true,
      taskHistoryLimit: 0,
      gossipKeyRotationMs: 5_400_000,
    });
    expect(swarmUpdateRequest({})).toEqual({ dispatcherHeartbeatMs: 0, certExpiryMs: 0, setTaskHistoryLimit: false, taskHistoryLimit: 0, gossipKeyRotationMs: 0 });
  });

  it('refuses bad values with a usage error naming the flag', () => {
    const fails = (opts: Parameters<typeof swarmUpdateRequest>[0], flag: string) => {
      let err: unknown;
      try {
        swarmUpdateRequest(opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).message).toContain(flag);
      expect((err as CliError).exitCode).toBe(2);
    };
    fails({ dispatcherHeartbeat: 'soon' }, '--dispatcher-heartbeat');
    fails({ certExpiry: '0s' }, '--cert-expiry');
    fails({ taskHistoryLimit: '-1' }, '--task-history-limit');
    fails({ taskHistoryLimit: '2.5' }, '--task-history-limit');
    fails({ gossipKeyRotation: '12' }, '--gossip-key-rotation');
  });

  it('shows the settings in effect and the keyring state', () => {
    const text = formatClusterView(
      { id: 'c1', version: 9, dispatcherHeartbeatMs: 2_000, certExpiryMs: 7_776_000_000, taskHistoryLimit: 5, gossipKeyRotationMs: 43_200_000, gossipKeys: 2, gossipPrimaryCreatedMs: 1_000 },
      61_000,
    );
    expect(text).toContain('Dispatcher heartbeat period: 2s');
    expect(text).toContain('Node certificate expiry: 2160h0m0s');
    expect(text).toContain('Task history retention limit: 5');
    expect(text).toContain('Gossip key rotation interval: 12h0m0s');
    expect(text).toContain('Gossip keyring: 2 keys (rotation under way)');
    expect(text).toContain('Gossip primary key age: 1m0s');
  });
});
