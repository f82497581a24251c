import { describe, expect, it } from 'vitest';
import { LeaderGatedService, ServiceTransitionError } from '../src/index.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Records its hooks; a hook can be held open to let inputs arrive while it runs. */
class Recorder extends LeaderGatedService {
  readonly events: string[] = [];
  running = 0;
  maxRunning = 0;
  holdActivate: Gate | undefined;
  holdDeactivate: Gate | undefined;
  failActivate = 0;
  failDeactivate = 0;
  private entered: Array<() => void> = [];

  constructor() {
    super('recorder');
  }

  /** Resolves when a hook is next entered. */
  hookEntered(): Promise<void> {
    return new Promise((r) => this.entered.push(r));
  }

  protected async onActivate(): Promise<void> {
    await this.hook('activate', this.holdActivate, () => this.failActivate-- > 0);
  }

  protected async onDeactivate(): Promise<void> {
    await this.hook('deactivate', this.holdDeactivate, () => this.failDeactivate-- > 0);
  }

  private async hook(name: string, hold: Gate | undefined, fail: () => boolean): Promise<void> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    for (const r of this.entered.splice(0)) r();
    try {
      if (hold) await hold.promise;
      if (fail()) throw new Error(`${name} broke`);
      this.events.push(name);
    } finally {
      this.running--;
    }
  }
}

describe('LeaderGatedService runs only while started and leader', () => {
  it('start, then leader: activates once', async () => {
    const s = new Recorder();
    await s.start();
    expect(s.events).toEqual([]);
    await s.setLeader(true);
    expect(s.events).toEqual(['activate']);
    expect(s.isActive).toBe(true);
  });

  it('leader, then start: activates once, not before start', async () => {
    const s = new Recorder();
    await s.setLeader(true);
    expect(s.events).toEqual([]);
    expect(s.isActive).toBe(false);
    await s.start();
    expect(s.events).toEqual(['activate']);
  });

  it('leader without start never activates', async () => {
    const s = new Recorder();
    await s.setLeader(true);
    await s.setLeader(false);
    await s.setLeader(true);
    expect(s.events).toEqual([]);
  });

  it('losing leadership deactivates; regaining it activates again', async () => {
    const s = new Recorder();
    await s.start();
    await s.setLeader(true);
    await s.setLeader(false);
    expect(s.isActive).toBe(false);
    await s.setLeader(true);
    expect(s.events).toEqual(['activate', 'deactivate', 'activate']);
  });

  it('stop while leader deactivates; losing leadership afterwards changes nothing', async () => {
    const s = new Recorder();
    await s.start();
    await s.setLeader(true);
    await s.stop();
    await s.setLeader(false);
    expect(s.events).toEqual(['activate', 'deactivate']);
  });

  it('stop while not leader runs no hook', async () => {
    const s = new Recorder();
    await s.start();
    await s.stop();
    expect(s.events).toEqual([]);
  });

  it('start after stop while still leader activates again', async () => {
    const s = new Recorder();
    await s.start();
    await s.setLeader(true);
    await s.stop();
    await s.start();
    expect(s.events).toEqual(['activate', 'deactivate', 'activate']);
  });

  it('repeated inputs are idempotent', async () => {
    const s = new Recorder();
    await s.start();
    await s.start();
    await s.setLeader(true);
    await s.setLeader(true);
    await s.stop();
    await s.stop();
    expect(s.events).toEqual(['activate', 'deactivate']);
  });
});

describe('LeaderGatedService serializes transitions', () => {
  it('leadership lost during activation: deactivates after activation ends, never overlapping', async () => {
    const s = new Recorder();
    s.holdActivate = gate();
    await s.start();
    const entered = s.hookEntered();
    const becoming = s.setLeader(true);
    await entered;
    const losing = s.setLeader(false);
    expect(s.running).toBe(1);
    s.holdActivate.open();
    await Promise.all([becoming, losing]);
    expect(s.events).toEqual(['activate', 'deactivate']);
    expect(s.maxRunning).toBe(1);
    expect(s.isActive).toBe(false);
  });

  it('stop during activation: deactivates after activation ends', async () => {
    const s = new Recorder();
    s.holdActivate = gate();
    await s.setLeader(true);
    const entered = s.hookEntered();
    const starting = s.start();
    await entered;
    const stopping = s.stop();
    s.holdActivate.open();
    await Promise.all([starting, stopping]);
    expect(s.events).toEqual(['activate', 'deactivate']);
    expect(s.maxRunning).toBe(1);
  });

  it('lost and regained during activation: stays active without a pointless deactivate', async () => {
    const s = new Recorder();
    s.holdActivate = gate();
    await s.start();
    const entered = s.hookEntered();
    const all = [s.setLeader(true)];
    await entered;
    all.push(s.setLeader(false), s.setLeader(true));
    s.holdActivate.open();
    await Promise.all(all);
    expect(s.events).toEqual(['activate']);
    expect(s.isActive).toBe(true);
  });

  it('regained during deactivation: activates again only after deactivation ends', async () => {
    const s = new Recorder();
    await s.start();
    await s.setLeader(true);
    s.holdDeactivate = gate();
    const entered = s.hookEntered();
    const losing = s.setLeader(false);
    await entered;
    const regaining = s.setLeader(true);
    expect(s.isActive).toBe(false);
    s.holdDeactivate.open();
    await Promise.all([losing, regaining]);
    expect(s.events).toEqual(['activate', 'deactivate', 'activate']);
    expect(s.maxRunning).toBe(1);
    expect(s.isActive).toBe(true);
  });

  it('random input orders: hooks alternate, never overlap, and end where the inputs say', async () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const s = new Recorder();
      const pending: Promise<void>[] = [];
      let started = false;
      let leader = false;
      for (let i = 0; i < 8; i++) {
        switch (rand(4)) {
          case 0:
            started = true;
            pending.push(s.start());
            break;
          case 1:
            started = false;
            pending.push(s.stop());
            break;
          case 2:
            leader = true;
            pending.push(s.setLeader(true));
            break;
          default:
            leader = false;
            pending.push(s.setLeader(false));
        }
        // Sometimes let the queue run, sometimes pile inputs up while a hook is pending.
        if (rand(2) === 0) await Promise.resolve();
      }
      await Promise.all(pending);
      expect(s.maxRunning).toBeLessThanOrEqual(1);
      expect(s.isActive).toBe(started && leader);
      s.events.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? 'activate' : 'deactivate'));
      expect(s.events.length % 2 === 1).toBe(started && leader);
    }
  });
});

describe('LeaderGatedService hook failures', () => {
  it('a failed activation rejects with ServiceTransitionError, stays inactive, and the next input retries', async () => {
    const s = new Recorder();
    s.failActivate = 1;
    await s.start();
    const err = await s.setLeader(true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceTransitionError);
    expect((err as Error).message).toBe('activating service recorder: activate broke');
    expect(s.isActive).toBe(false);
    await s.setLeader(true);
    expect(s.isActive).toBe(true);
    expect(s.events).toEqual(['activate']);
  });

  it('a failed deactivation rejects but counts as inactive; later activation works', async () => {
    const s = new Recorder();
    await s.start();
    await s.setLeader(true);
    s.failDeactivate = 1;
    await expect(s.stop()).rejects.toThrow('deactivating service recorder: deactivate broke');
    expect(s.isActive).toBe(false);
    await s.start();
    expect(s.isActive).toBe(true);
  });
});
