import { describe, expect, it } from 'vitest';
import { ImagePresence } from '../src/executor/image-presence.js';

/** An inspect whose answers the test releases by hand, counting the calls (stands in for the engine's image inspect). */
function manualInspect() {
  const calls: string[] = [];
  const pending: Array<{ image: string; resolve: () => void; reject: (e: Error) => void }> = [];
  const inspect = (image: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push(image);
      pending.push({ image, resolve, reject });
    });
  return { calls, pending, inspect };
}

describe('ImagePresence', () => {
  it('asks once for a burst of checks of one image, separately per image', async () => {
    const engine = manualInspect();
    const images = new ImagePresence(engine.inspect);
    const checks = [images.check('a'), images.check('a'), images.check('a'), images.check('b')];
    expect(engine.calls).toEqual(['a', 'b']);
    for (const p of engine.pending) p.resolve();
    await Promise.all(checks);
  });

  it('remembers a found image for the ttl only', async () => {
    let now = 1_000;
    const engine = manualInspect();
    const images = new ImagePresence(engine.inspect, 5_000, () => now);
    const first = images.check('a');
    engine.pending[0]!.resolve();
    await first;
    now += 4_999;
    await images.check('a');
    expect(engine.calls).toEqual(['a']);
    now += 1;
    const again = images.check('a');
    expect(engine.calls).toEqual(['a', 'a']);
    engine.pending[1]!.resolve();
    await again;
  });

  it('never remembers a missing image: every waiter gets the error, and the next check asks again', async () => {
    const engine = manualInspect();
    const images = new ImagePresence(engine.inspect);
    const waiting = [images.check('gone'), images.check('gone')];
    engine.pending[0]!.reject(new Error('no such image: gone'));
    for (const w of waiting) await expect(w).rejects.toThrow('no such image: gone');
    const next = images.check('gone');
    expect(engine.calls).toEqual(['gone', 'gone']);
    engine.pending[1]!.resolve();
    await next;
  });
});

describe('hasHealthCheck (the engine merges the spec test over the image HEALTHCHECK)', () => {
  it('takes the spec test unless empty, and NONE or nothing means no check', async () => {
    const { hasHealthCheck } = await import('../src/executor/docker-executor.js');
    expect(hasHealthCheck(undefined, undefined)).toBe(false);
    expect(hasHealthCheck([], [])).toBe(false);
    expect(hasHealthCheck(['CMD-SHELL', 'true'], undefined)).toBe(true);
    expect(hasHealthCheck(undefined, ['CMD-SHELL', 'true'])).toBe(true);
    expect(hasHealthCheck([], ['CMD-SHELL', 'true'])).toBe(true);
    expect(hasHealthCheck(['NONE'], ['CMD-SHELL', 'false'])).toBe(false);
    expect(hasHealthCheck(undefined, ['NONE'])).toBe(false);
  });
});
