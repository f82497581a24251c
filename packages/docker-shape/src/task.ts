// swarm.Task of the Docker Engine API, from Flotilla's Task: what `inspect` of a task prints.
import { TaskState, type Network, type Task } from '@flotilla/api';
import { dockerNetwork } from './swarm-network.js';
import { goMap, goTime, objectHeader, opt } from './go-values.js';
import { dockerTaskSpec, type Json } from './service.js';

/** "TASK_STATE_RUNNING" → "running", the Engine API's task state words. */
export const taskStateWord = (s: TaskState): string => s.replace(/^TASK_STATE_/, '').toLowerCase();

/**
 * swarm.Task. `networks` resolves the attachments' network ids to the networks (the Engine API
 * embeds each whole network); an id it does not know is shown with its id alone.
 */
export function dockerTask(t: Task, networks: ReadonlyMap<string, Network> = new Map()): Json {
  const status = t.status;
  return {
    ...objectHeader(t.id, t.meta),
    ...opt('Name', t.annotations?.name ?? ''),
    Labels: goMap(t.annotations?.labels),
    Spec: dockerTaskSpec(t.spec),
    ...opt('ServiceID', t.serviceId),
    ...opt('Slot', t.slot),
    ...opt('NodeID', t.nodeId),
    Status: {
      Timestamp: goTime(status?.timestamp ?? 0),
      ...opt('State', taskStateWord(status?.state ?? TaskState.TASK_STATE_NEW)),
      ...opt('Message', status?.message ?? ''),
      // Docker's scheduler writes why a task waits into Err ("no suitable node (…)").
      ...opt('Err', status?.err || (status?.state === TaskState.TASK_STATE_PENDING ? status.pendingReason : '') || ''),
      ...(status?.container?.containerId
        ? { ContainerStatus: { ContainerID: status.container.containerId, PID: status.container.pid, ExitCode: status.container.exitCode } }
        : {}),
      PortStatus: {},
    },
    ...opt('DesiredState', taskStateWord(t.desiredState)),
    ...opt(
      'NetworksAttachments',
      t.networks.map((a) => {
        const known = networks.get(a.networkId);
        return { Network: known ? dockerNetwork(known) : { ...objectHeader(a.networkId, undefined), Spec: { Labels: {} }, DriverState: {} }, ...opt('Addresses', a.addresses) };
      }),
    ),
    Volumes: null,
  };
}
