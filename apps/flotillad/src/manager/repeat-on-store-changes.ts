import type { RaftMember, WatchFilter } from '@flotilla/raft';

/**
 * Runs `step` now, after every applied store change that `filter` selects, and every `everyMs`
 * until `stop()`. For leader loops that tell nodes something over fire-and-forget messages: the
 * change drives them, the repeat reaches a node that was reconnecting when it was first told.
 */
export function repeatOnStoreChanges(member: RaftMember, filter: WatchFilter, everyMs: number, step: () => void): { stop(): void } {
  const sub = member.store.watch(filter);
  let stopped = false;
  const run = () => {
    if (!stopped) step();
  };
  const timer = setInterval(run, everyMs);
  void (async () => {
    run();
    try {
      for await (const _event of sub) run();
    } catch {
      // closed on stop or by a snapshot restore; the timer keeps going
    }
  })();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      sub.close();
    },
  };
}
