import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, planFaults } from './schedule.js';

describe('chaos fault schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(planFaults({ seed: 7, seconds: 300, managers: 3 })).toEqual(planFaults({ seed: 7, seconds: 300, managers: 3 }));
    expect(planFaults({ seed: 8, seconds: 300, managers: 3 })).not.toEqual(planFaults({ seed: 7, seconds: 300, managers: 3 }));
  });

  it('stays inside the run, and a long run sees every kind of fault', () => {
    const plan = planFaults({ seed: 3, seconds: 600, managers: 3 });
    expect(plan.every((f) => f.atS < 600 && f.atS + f.holdS <= 600 && f.holdS >= 1)).toBe(true);
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
  });

  it('with 3 managers runs one fault at a time and never hits more than a minority', () => {
    const plan = planFaults({ seed: 11, seconds: 600, managers: 3 });
    for (let i = 1; i < plan.length; i++) expect(plan[i]!.atS).toBeGreaterThanOrEqual(plan[i - 1]!.atS + plan[i - 1]!.holdS);
    expect(plan.every((f) => f.count === 1)).toBe(true);
    expect(planFaults({ seed: 11, seconds: 600, managers: 5 }).every((f) => f.count <= 2)).toBe(true);
  });

  it('keeps to the kinds asked for', () => {
    const plan = planFaults({ seed: 4, seconds: 300, managers: 3, kinds: ['disk-full', 'clock-step'] });
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(['disk-full', 'clock-step']));
  });

  it('steps clocks by 15 to 90 s either way (inside the certificates\' 5 min backdating)', () => {
    const steps = planFaults({ seed: 5, seconds: 3000, managers: 3 }).map((f) => Math.abs(f.clockStepS));
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...steps)).toBeLessThanOrEqual(90);
  });
});
