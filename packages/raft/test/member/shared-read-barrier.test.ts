// SharedReadBarrier's rule, on rounds this test settles by hand: a read shares only a barrier
// that began after it did. (The real rounds over NATS: integration/shared-read-barrier.test.ts.)
import { describe, expect, it } from 'vitest';
import { SharedReadBarrier } from '../../src/member/shared-read-barrier.js';

function controlledRounds() {
  const rounds: Array<{ resolve: (i: number) => void; reject: (e: Error) => void }> = [];
  const barrier = () => new Promise<number>((resolve, reject) => rounds.push({ resolve, reject }));
  return { rounds, barrier };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SharedReadBarrier', () => {
  it('reads arriving while a round is in flight share the next round, not the one in flight', async () => {
    const { rounds, barrier } = controlledRounds();
    const gate = new SharedReadBarrier(barrier);
    const got: string[] = [];
    void gate.wait().then((i) => got.push(`first@${i}`));
    void gate.wait().then((i) => got.push(`second@${i}`));
    void gate.wait().then((i) => got.push(`third@${i}`));
    expect(rounds).toHaveLength(1);

    rounds[0]!.resolve(10);
    await tick();
    // The first read is served by the round it started; the later two waited for a new round.
    expect(got).toEqual(['first@10']);
    expect(rounds).toHaveLength(2);

    rounds[1]!.resolve(12);
    await tick();
    expect(got).toEqual(['first@10', 'second@12', 'third@12']);
    expect(gate.stats).toEqual({ barriers: 2, reads: 3 });
  });

  it('a read after every round settled starts its own round', async () => {
    const { rounds, barrier } = controlledRounds();
    const gate = new SharedReadBarrier(barrier);
    const a = gate.wait();
    rounds[0]!.resolve(3);
    expect(await a).toBe(3);
    const b = gate.wait();
    expect(rounds).toHaveLength(2);
    rounds[1]!.resolve(4);
    expect(await b).toBe(4);
  });

  it('a failed round fails the reads that shared it, and the next read tries again', async () => {
    const { rounds, barrier } = controlledRounds();
    const gate = new SharedReadBarrier(barrier);
    const first = gate.wait();
    const second = gate.wait();
    const third = gate.wait();
    rounds[0]!.reject(new Error('no leader'));
    await expect(first).rejects.toThrow('no leader');
    await tick();
    rounds[1]!.reject(new Error('timed out'));
    await expect(second).rejects.toThrow('timed out');
    await expect(third).rejects.toThrow('timed out');
    const fourth = gate.wait();
    rounds[2]!.resolve(8);
    expect(await fourth).toBe(8);
  });

  it('a barrier that throws at once (a stopped member) rejects the read instead of throwing', async () => {
    const gate = new SharedReadBarrier(() => {
      throw new Error('member 1 is stopped');
    });
    await expect(gate.wait()).rejects.toThrow('member 1 is stopped');
    await expect(gate.wait()).rejects.toThrow('member 1 is stopped');
  });
});
