import { TaskState } from '@flotilla/api';
import { describe, expect, it, vi } from 'vitest';
import { StatusBatcher, type TaskStatusWrite } from '../src/index.js';

const w = (taskId: string, state = TaskState.TASK_STATE_RUNNING): TaskStatusWrite => ({
  nodeId: 'n1',
  taskId,
  status: { timestamp: 0, state, message: '', err: '', pendingReason: '' },
});

describe('StatusBatcher', () => {
  it('joins submissions from several requests into one write, latest status of a task winning', async () => {
    const writes: string[][] = [];
    const b = new StatusBatcher(async (batch) => void writes.push(batch.map((x) => `${x.taskId}:${x.status.state}`)), { delayMs: 5, maxBatch: 100 });
    await Promise.all([b.submit([w('t1', TaskState.TASK_STATE_STARTING), w('t2')]), b.submit([w('t1', TaskState.TASK_STATE_RUNNING)])]);
    expect(writes).toEqual([['t2:TASK_STATE_RUNNING', 't1:TASK_STATE_RUNNING']]);
  });

  it('writes at once when the batch is full, and one write at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sizes: number[] = [];
    const b = new StatusBatcher(
      async (batch) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setImmediate(r));
        sizes.push(batch.length);
        inFlight--;
      },
      { delayMs: 60_000, maxBatch: 2 },
    );
    await Promise.all([b.submit([w('a'), w('b')]), b.submit([w('c'), w('d')]), b.submit([w('e'), w('f')])]);
    expect(maxInFlight).toBe(1);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(6);
  });

  it('rejects the submitters of a failed write and keeps working', async () => {
    let fail = true;
    const b = new StatusBatcher(async () => {
      if (fail) throw new Error('store unavailable');
    }, { delayMs: 0, maxBatch: 10 });
    await expect(b.submit([w('t1')])).rejects.toThrow('store unavailable');
    fail = false;
    await expect(b.submit([w('t1')])).resolves.toBeUndefined();
    expect(() => new StatusBatcher(async () => undefined, { delayMs: -1, maxBatch: 1 })).toThrow('delayMs must be >= 0');
  });

  it('writes the first update after a quiet spell at once and spaces later writes by delayMs', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const written: Array<{ at: number; ids: string[] }> = [];
      const b = new StatusBatcher(async (batch) => void written.push({ at: Date.now(), ids: batch.map((x) => x.taskId) }), { delayMs: 1_000, maxBatch: 100 }, () => Date.now());
      const first = b.submit([w('t1')]);
      await vi.advanceTimersByTimeAsync(0);
      await first;
      expect(written).toEqual([{ at: 1_000_000, ids: ['t1'] }]);

      // Within the window of that write: held for the rest of it, joined by what comes meanwhile.
      const second = b.submit([w('t2')]);
      await vi.advanceTimersByTimeAsync(400);
      const third = b.submit([w('t3')]);
      await vi.advanceTimersByTimeAsync(599);
      expect(written).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all([second, third]);
      expect(written[1]).toEqual({ at: 1_001_000, ids: ['t2', 't3'] });

      // Quiet again for longer than the window: at once.
      await vi.advanceTimersByTimeAsync(5_000);
      const fourth = b.submit([w('t4')]);
      await vi.advanceTimersByTimeAsync(0);
      await fourth;
      expect(written[2]).toEqual({ at: 1_006_000, ids: ['t4'] });
    } finally {
      vi.useRealTimers();
    }
  });
});
