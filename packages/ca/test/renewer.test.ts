import { JoinTokens, NodeRole } from '@flotilla/api';
import { X509Certificate } from 'node:crypto';
import { waitFor } from '@flotilla/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../src/duration.js';
import { joinCluster, renewNodeCertificate } from '../src/grpc/node-ca-client.js';
import { RunningNodeCaServer, startNodeCaServer } from '../src/grpc/node-ca-server.js';
import { createJoinTokens } from '../src/join-token.js';
import { issueLocalNodeCredentials, NodeCredentials } from '../src/local-issue.js';
import { MAX_TIMER_MS, retryDelayMs, startCertificateRenewal, TimerApi } from '../src/renewer.js';
import { createRootCa } from '../src/root-ca.js';

/**
 * Timers are driven by hand: the real wait is weeks. Everything else is real —
 * the renewals go over gRPC/TLS to a NodeCa server on loopback.
 */
class ManualTimers implements TimerApi {
  pending: { fn: () => void; ms: number } | undefined;
  set(fn: () => void, ms: number): unknown {
    this.pending = { fn, ms };
    return this.pending;
  }
  clear(handle: unknown): void {
    if (handle !== undefined && handle === this.pending) this.pending = undefined;
  }
  fire(): void {
    const pending = this.pending;
    if (!pending) throw new Error('no timer armed');
    this.pending = undefined;
    pending.fn();
  }
}

describe('retryDelayMs', () => {
  it('doubles from 1 s and caps at 5 min', () => {
    expect([1, 2, 3, 10, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 300_000, 300_000]);
  });
});

describe('startCertificateRenewal against a real NodeCa server', () => {
  const clusterId = 'cluster-renew';
  const rootCa = createRootCa({ clusterId });
  const tokens: JoinTokens = createJoinTokens(rootCa.digest);
  const denied = new Set<string>();
  let server: RunningNodeCaServer;
  let addr: string;
  let worker: NodeCredentials;

  beforeAll(async () => {
    server = await startNodeCaServer({
      state: { clusterId, rootCa: () => rootCa, joinTokens: () => tokens, nodeCertExpiryMs: () => undefined, deniedNodeIds: () => denied },
      identity: issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER }),
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
    });
    addr = `127.0.0.1:${server.port}`;
    worker = await joinCluster({ addr, token: tokens.worker });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('waits in timer-sized slices until the renewal moment, then renews and plans the next one', async () => {
    const timers = new ManualTimers();
    let clock = new Date();
    const renewed: NodeCredentials[] = [];
    const renewer = startCertificateRenewal({
      current: worker,
      renew: (current) => renewNodeCertificate({ addr, current }),
      onRenewed: (next) => {
        renewed.push(next);
      },
      rand: () => 0,
      now: () => clock,
      timers,
    });
    try {
      // rand 0 → 45 days into a 90-day certificate: longer than one setTimeout can wait.
      expect(timers.pending?.ms).toBe(MAX_TIMER_MS);
      clock = new Date(clock.getTime() + MAX_TIMER_MS);
      timers.fire();
      const left = timers.pending?.ms ?? 0;
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThan(45 * DAY_MS - MAX_TIMER_MS + 1);
      expect(renewed).toHaveLength(0);
      clock = new Date(clock.getTime() + left);
      timers.fire();
      await waitFor(() => renewed.length === 1, { what: 'the renewal', timeoutMs: 20_000 });
      expect(renewed[0]?.nodeId).toBe(worker.nodeId);
      expect(renewer.current().certPem).toBe(renewed[0]?.certPem);
      expect(new X509Certificate(renewed[0]?.certPem ?? '').serialNumber).not.toBe(new X509Certificate(worker.certPem).serialNumber);
      // Next plan is from the new certificate.
      await waitFor(() => timers.pending !== undefined, { what: 'the next plan', timeoutMs: 20_000 });
    } finally {
      renewer.stop();
    }
    expect(timers.pending).toBeUndefined();
  });

  it('renews when the renewAt knob says instead of in the 50-80 % window, and plans from each new certificate', async () => {
    const timers = new ManualTimers();
    const clock = new Date();
    const seen: Array<{ notBefore: Date; notAfter: Date }> = [];
    let renewedCount = 0;
    const renewer = startCertificateRenewal({
      current: worker,
      renew: (current) => renewNodeCertificate({ addr, current }),
      onRenewed: () => {
        renewedCount += 1;
      },
      renewAt: (validity) => {
        seen.push(validity);
        return new Date(clock.getTime() + 1_500);
      },
      now: () => clock,
      timers,
    });
    try {
      expect(timers.pending?.ms).toBe(1_500);
      expect(seen[0]?.notAfter.getTime()).toBe(new Date(new X509Certificate(worker.certPem).validTo).getTime());
      // the clock does not move: the knob's moment is now
      const at = new Date(clock.getTime() + 1_500);
      clock.setTime(at.getTime());
      timers.fire();
      await waitFor(() => renewedCount === 1 && seen.length === 2, { what: 'the renewal and the next plan', timeoutMs: 20_000 });
      expect(new X509Certificate(renewer.current().certPem).serialNumber).not.toBe(new X509Certificate(worker.certPem).serialNumber);
    } finally {
      renewer.stop();
    }
  });

  it('retries with backoff when the manager refuses, and recovers', async () => {
    const timers = new ManualTimers();
    const errors: number[] = [];
    const renewer = startCertificateRenewal({
      current: worker,
      renew: (current) => renewNodeCertificate({ addr, current }),
      onRenewed: () => undefined,
      onError: (_err, attempt) => errors.push(attempt),
      timers,
    });
    try {
      denied.add(worker.nodeId);
      await expect(renewer.renewNow()).rejects.toThrow('has been removed from the cluster');
      expect(errors).toEqual([1]);
      expect(timers.pending?.ms).toBe(retryDelayMs(1));
      denied.delete(worker.nodeId);
      const [a, b] = await Promise.all([renewer.renewNow(), renewer.renewNow()]);
      expect(a.certPem).toBe(b.certPem); // one renewal shared by concurrent callers
      expect(timers.pending?.ms).toBeGreaterThan(retryDelayMs(10));
    } finally {
      denied.delete(worker.nodeId);
      renewer.stop();
    }
  });
});
