import { RaftMessageType } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { message } from '../../src/core/types.js';
import { SafetyViolation } from './checker.js';
import { SimCluster } from './cluster.js';
import { runChaos } from './scenario.js';

describe('simulation harness', () => {
  it('replays a seed exactly', () => {
    const a = runChaos(4242, { chaosTicks: 150, livenessTicks: 300, clients: true });
    const b = runChaos(4242, { chaosTicks: 150, livenessTicks: 300, clients: true });
    expect(b).toEqual(a);
    expect(a.messages).toBeGreaterThan(100);
  });

  it('catches a member that forgets its vote across crashes (two leaders in one term)', () => {
    let caught: string | undefined;
    for (let seed = 1; seed <= 400 && caught === undefined; seed++) {
      const c = new SimCluster({ seed, voters: [1, 2, 3], preVote: false, checkQuorum: false, forgetVoteOnCrash: true });
      c.net.faults = { drop: 0.05, duplicate: 0, minDelay: 1, maxDelay: 8 };
      try {
        for (let u = 0; u < 2000; u++) {
          // crash and restart voters often, so a vote is lost while its candidate is still counting
          if (c.rng.chance(0.02)) {
            const up = c.live();
            if (up.length > 1) c.crash(up[c.rng.intn(up.length)]!.id);
          }
          for (const m of c.members.values()) if (m.node === undefined && c.rng.chance(0.2)) c.restart(m.id);
          c.step();
        }
      } catch (e) {
        if (!(e instanceof SafetyViolation)) throw e;
        caught = e.message;
      }
    }
    expect(caught).toMatch(/election safety/);
  });

  it('refuses a message addressed to another member', () => {
    const c = new SimCluster({ seed: 1, voters: [1, 2, 3] });
    const n = c.member(1).node!;
    expect(() => n.step(message({ type: RaftMessageType.RAFT_MSG_HEARTBEAT, from: 3, to: 2, term: 1 }))).toThrow(/addressed to member 2/);
  });
});
