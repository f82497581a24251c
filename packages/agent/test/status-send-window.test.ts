import { describe, expect, it } from 'vitest';
import { sendDelayMs } from '../src/status/send-window.js';

describe('sendDelayMs', () => {
  it('sends the first status after a quiet spell at once', () => {
    expect(sendDelayMs(-Infinity, 1_000, 20)).toBe(0);
    expect(sendDelayMs(900, 1_000, 20)).toBe(0);
    expect(sendDelayMs(980, 1_000, 20)).toBe(0);
  });

  it('holds a status that comes within the window of the last request for the rest of it', () => {
    expect(sendDelayMs(990, 1_000, 20)).toBe(10);
    expect(sendDelayMs(1_000, 1_000, 20)).toBe(20);
  });
});
