import { Task, type Assignments } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { AssignmentSequencer, type AssignmentUpdate } from '../src/index.js';

const t = (id: string): Task => Task.fromPartial({ id });
const full = (sessionId: string, sequence: number, ids: string[]): Assignments => ({ sessionId, sequence, full: true, updated: ids.map(t), removed: [] });
const delta = (sessionId: string, sequence: number, ids: string[], removed: string[] = []): Assignments => ({ sessionId, sequence, full: false, updated: ids.map(t), removed });
const show = (us: AssignmentUpdate[]): string[] => us.map((u) => (u.kind === 'full' ? `full ${u.tasks.map((x) => x.id).join(',')}` : `delta +${u.updated.map((x) => x.id).join(',')} -${u.removed.join(',')}`));

describe('AssignmentSequencer', () => {
  it('applies the full set, then changes in order, ignoring repeats', () => {
    const s = new AssignmentSequencer();
    expect(show(s.setSession('s1'))).toEqual([]);
    expect(s.needsFullSet).toBe(true);
    expect(show(s.receive(full('s1', 1, ['a'])))).toEqual(['full a']);
    expect(show(s.receive(delta('s1', 2, ['b'])))).toEqual(['delta +b -']);
    expect(show(s.receive(delta('s1', 2, ['b'])))).toEqual([]);
    expect(s.needsFullSet).toBe(false);
  });

  it('holds messages that arrive before the session is known', () => {
    const s = new AssignmentSequencer();
    expect(show(s.receive(full('s2', 1, ['a'])))).toEqual([]);
    expect(show(s.receive(delta('old', 7, ['x'])))).toEqual([]);
    expect(show(s.setSession('s2'))).toEqual(['full a']);
  });

  it('detects a gap, holds what came after it, and catches up from a full set', () => {
    const s = new AssignmentSequencer();
    s.setSession('s1');
    s.receive(full('s1', 1, ['a']));
    expect(show(s.receive(delta('s1', 3, ['c'])))).toEqual([]);
    expect(s.needsFullSet).toBe(true);
    // the resync reply is the set as of 2; the held 3 follows it
    expect(show(s.receive(full('s1', 2, ['a', 'b'])))).toEqual(['full a,b', 'delta +c -']);
    expect(s.sequence).toBe(3);
    expect(s.needsFullSet).toBe(false);
    // a stale full set (older than what was applied) is ignored
    expect(show(s.receive(full('s1', 2, ['a'])))).toEqual([]);
  });

  it('knows it is behind when the dispatcher sent more than it applied (a lost last message)', () => {
    const s = new AssignmentSequencer();
    s.setSession('s1');
    s.receive(full('s1', 1, ['a']));
    s.receive(delta('s1', 2, ['b']));
    expect(s.isBehind('s1', 2)).toBe(false);
    expect(s.isBehind('s1', 3)).toBe(true);
    expect(s.needsFullSet).toBe(false); // nothing held reveals the loss: only the heartbeat does
    expect(s.isBehind('s0', 9)).toBe(false); // another session's numbers say nothing
  });

  it('drops messages of a previous session', () => {
    const s = new AssignmentSequencer();
    s.setSession('s1');
    s.receive(full('s1', 1, ['a']));
    s.setSession('s2');
    expect(show(s.receive(delta('s1', 2, ['b'])))).toEqual([]);
    expect(show(s.receive(full('s2', 1, ['z'])))).toEqual(['full z']);
  });
});
