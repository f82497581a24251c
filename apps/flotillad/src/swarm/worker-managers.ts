import type { Logger } from 'pino';
import { natsServersForManagers } from './manager-list.js';
import { writeSwarmState, type SwarmFiles, type SwarmState } from './swarm-state.js';

/** A worker's view of its managers: starts as the swarm state on disk, follows what heartbeats tell. */
export interface WorkerManagers {
  /** The swarm state with the managers' NATS servers as last told. */
  readonly state: SwarmState;
  /** The managers' join/CA addresses from a heartbeat. */
  update(managerAddrs: readonly string[]): void;
  /** Waits for a state write under way; nothing is written after. */
  stop(): Promise<void>;
}

/**
 * Keeps the list on disk, so a worker restarted while the manager it joined through is gone
 * dials the others. Writes are chained (one at a time, the newest last) and stop after `stop()`:
 * `swarm leave` removes the state file once the runtime is stopped, and a late write must not
 * bring it back.
 */
export function followManagers(files: SwarmFiles, initial: SwarmState, log: Logger): WorkerManagers {
  let state = initial;
  let stopped = false;
  let writes: Promise<void> = Promise.resolve();
  return {
    get state() {
      return state;
    },
    update(managerAddrs) {
      if (stopped) return;
      const natsServers = natsServersForManagers(state, managerAddrs);
      if (natsServers === undefined) return;
      log.info({ before: state.natsServers, after: natsServers }, 'the managers changed; keeping their NATS servers for the next start');
      state = { ...state, natsServers };
      const next = state;
      writes = writes.then(async () => {
        if (stopped) return;
        try {
          await writeSwarmState(files, next);
        } catch (err) {
          log.warn({ err: (err as Error).message, file: files.state }, 'could not keep the managers in the swarm state; the next start uses the previous list');
        }
      });
    },
    async stop() {
      stopped = true;
      await writes;
    },
  };
}
