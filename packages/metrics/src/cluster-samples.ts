import { NodeAvailability, NodeRole, NodeState, ServiceMode, TaskState, type Node, type Service, type Task } from '@flotilla/api';

/** One sample of a labelled metric. */
export interface Sample<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  readonly value: number;
}

/** What the store holds, as the managers' gauges show it. */
export interface ClusterSamples {
  readonly tasks: Sample<'service' | 'state' | 'desired_state'>[];
  readonly nodes: Sample<'state' | 'role' | 'availability'>[];
  readonly services: Sample<'mode'>[];
}

/** `TASK_STATE_RUNNING` → `running`: the words `service ps` prints, lower-case, as Prometheus labels go. */
export function enumWord(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : value.toLowerCase();
}

function count<L extends string>(keys: Iterable<Record<L, string>>): Sample<L>[] {
  const byKey = new Map<string, { labels: Record<L, string>; value: number }>();
  for (const labels of keys) {
    const key = JSON.stringify(labels);
    const hit = byKey.get(key);
    if (hit) hit.value++;
    else byKey.set(key, { labels, value: 1 });
  }
  return [...byKey.values()];
}

/**
 * Tasks by service (its name; the id when the service is gone) and observed/desired state, nodes
 * by state/role/availability, services by mode. Only combinations that occur are returned: a
 * gauge series that disappears reads as "none" in PromQL's sum(). Pure.
 */
export function clusterSamples(nodes: Iterable<Node>, services: Iterable<Service>, tasks: Iterable<Task>): ClusterSamples {
  const names = new Map<string, string>();
  const serviceList = [...services];
  for (const s of serviceList) names.set(s.id, s.spec?.annotations?.name || s.id);
  return {
    tasks: count(
      (function* () {
        for (const t of tasks) {
          yield {
            service: names.get(t.serviceId) ?? t.serviceId,
            state: enumWord(t.status?.state ?? TaskState.TASK_STATE_NEW, 'TASK_STATE_'),
            desired_state: enumWord(t.desiredState, 'TASK_STATE_'),
          };
        }
      })(),
    ),
    nodes: count(
      (function* () {
        for (const n of nodes) {
          yield {
            state: enumWord(n.status?.state ?? NodeState.NODE_STATE_UNKNOWN, 'NODE_STATE_'),
            role: enumWord(n.role ?? NodeRole.NODE_ROLE_WORKER, 'NODE_ROLE_'),
            availability: enumWord(n.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE, 'NODE_AVAILABILITY_'),
          };
        }
      })(),
    ),
    services: count(serviceList.map((s) => ({ mode: enumWord(s.spec?.mode ?? ServiceMode.SERVICE_MODE_REPLICATED, 'SERVICE_MODE_') }))),
  };
}
