/**
 * How long a status waits before its request goes: nothing after a quiet spell (at least
 * `windowMs` since the last request), else the rest of the window, so a burst of statuses
 * shares few requests while a lone one (a task just RUNNING, which a rolling update waits
 * for) pays no window at all.
 */
export function sendDelayMs(lastSentAt: number, now: number, windowMs: number): number {
  return Math.max(0, lastSentAt + windowMs - now);
}
