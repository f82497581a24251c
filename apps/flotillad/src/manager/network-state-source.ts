import type { NetworkInputs, NetworkStateSource } from '@flotilla/dispatcher';
import type { AssignmentWatch } from '@flotilla/dispatcher';
import type { StoreEvent } from '@flotilla/api';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';

/** The dispatcher's view of the store for node network states: networks, services, tasks, nodes. */
export class StoreNetworkStateSource implements NetworkStateSource {
  constructor(
    private readonly member: RaftMember,
    private readonly log: Logger,
  ) {}

  read(): NetworkInputs {
    const view = this.member.store.view();
    return { networks: view.networks.all(), services: view.services.all(), tasks: view.tasks.all(), nodes: view.nodes.all() };
  }

  watch(onEvent: (event: StoreEvent) => void, onLost: () => void): AssignmentWatch {
    let stopped = false;
    const open = () => this.member.store.watch({ kinds: ['task', 'service', 'network', 'node'] }, { maxQueue: 200_000 });
    let sub = open();
    const run = async () => {
      while (!stopped) {
        try {
          for await (const event of sub) onEvent(event);
          if (stopped) return;
        } catch (err) {
          if (stopped) return;
          this.log.warn({ err }, 'network state watch closed; every node\'s state is assembled again');
        }
        // Lagged or closed by a snapshot restore: watch again, and have every node looked at.
        sub = open();
        onLost();
      }
    };
    void run();
    return {
      stop: () => {
        stopped = true;
        sub.close();
      },
    };
  }
}
