// The row contexts of docker's swarm lists (docker/cli's service, task and node formatters):
// the fields a `--format` template can name, their headers and docker's default tables.
import { NodeAvailability, NodeRole, NodeState, PortProtocol, PublishMode, ServiceMode, TaskState, taskSlotName, type NodeView, type PortConfig, type ServiceView, type Task } from '@flotilla/api';
import { GoMethod } from '@flotilla/gotemplate';
import type { ListContext } from './list-format.js';
import { currentState, stateWord } from './task-format.js';

const word = (value: string, prefix: string): string => {
  const w = value.replace(prefix, '').toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
};

/** docker shows an image without its digest: `busybox:latest@sha256:…` → `busybox:latest`. */
export const imageWithoutDigest = (image: string): string => image.replace(/@sha256:[0-9a-f]+$/, '');

export const labelMethod = (labels: Readonly<Record<string, string>>): GoMethod => new GoMethod(['string'], ((name: string) => labels[name] ?? '') as (...args: never[]) => unknown);
/** docker's Labels column: k=v pairs, comma separated (sorted here: Go's map order is random). */
export const labelsColumn = (labels: Readonly<Record<string, string>>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => (labels[k] ? `${k}=${labels[k]}` : k))
    .join(',');

/**
 * docker's PORTS column of `service ls`: the routing mesh's published ports, `*:8080->80/tcp`,
 * consecutive ones as ranges (`*:8080-8081->80-81/tcp`). Host-mode ports are per task, not here.
 */
export function portsColumn(ports: readonly PortConfig[]): string {
  const mesh = ports
    .filter((p) => p.publishMode !== PublishMode.PUBLISH_MODE_HOST && p.publishedPort > 0)
    .map((p) => ({ pub: p.publishedPort, target: p.targetPort, proto: p.protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp' }))
    .sort((a, b) => a.proto.localeCompare(b.proto) || a.pub - b.pub);
  const out: string[] = [];
  for (let i = 0; i < mesh.length; ) {
    let j = i;
    while (j + 1 < mesh.length && mesh[j + 1]!.proto === mesh[i]!.proto && mesh[j + 1]!.pub === mesh[j]!.pub + 1 && mesh[j + 1]!.target === mesh[j]!.target + 1) j++;
    const a = mesh[i]!;
    const b = mesh[j]!;
    out.push(i === j ? `*:${a.pub}->${a.target}/${a.proto}` : `*:${a.pub}-${b.pub}->${a.target}-${b.target}/${a.proto}`);
    i = j + 1;
  }
  return out.join(', ');
}

const modeName = (v: ServiceView): string => (v.service?.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL ? 'global' : 'replicated');

/** `service ls` and `stack services`. */
export const SERVICE_LIST: ListContext<ServiceView> = {
  typeName: '*formatter.serviceContext',
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}',
  headers: { ID: 'ID', Name: 'NAME', Mode: 'MODE', Replicas: 'REPLICAS', Image: 'IMAGE', Ports: 'PORTS' },
  fields: (v) => ({
    ID: (v.service?.id ?? '').slice(0, 12),
    Name: v.service?.spec?.annotations?.name ?? '',
    Mode: modeName(v),
    Replicas: `${v.runningTasks}/${v.desiredTasks}`,
    Image: imageWithoutDigest(v.service?.spec?.task?.container?.image ?? ''),
    Ports: portsColumn(v.service?.endpoint?.ports.length ? v.service.endpoint.ports : (v.service?.spec?.endpoint?.ports ?? [])),
  }),
};

/** One `service ps`/`node ps`/`stack ps` row, resolved as the command was asked to. */
export interface TaskRow {
  task: Task;
  /** An older task of the same slot: its name is indented ` \_ `. */
  history: boolean;
  serviceName: string;
  nodeHostnames: Readonly<Record<string, string>>;
  now: number;
  noTrunc: boolean;
  /** --no-resolve: ids where names would be. */
  noResolve: boolean;
}

/** docker truncates a task's error to this many characters unless --no-trunc. */
const MAX_ERROR = 40;

/**
 * The ERROR column: the task's error, or while it waits for a node the scheduler's reason
 * (`no suitable node (…)`), which docker's scheduler writes into the same field.
 */
export function taskError(task: Task, noTrunc: boolean): string {
  const state = task.status?.state ?? TaskState.TASK_STATE_NEW;
  const err = task.status?.err || (state === TaskState.TASK_STATE_PENDING ? (task.status?.pendingReason ?? '') : '');
  if (err === '') return '';
  return `"${noTrunc || err.length <= MAX_ERROR ? err : `${err.slice(0, MAX_ERROR - 1)}…`}"`;
}

export const TASK_LIST: ListContext<TaskRow> = {
  typeName: '*formatter.taskContext',
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}',
  headers: { ID: 'ID', Name: 'NAME', Image: 'IMAGE', Node: 'NODE', DesiredState: 'DESIRED STATE', CurrentState: 'CURRENT STATE', Error: 'ERROR', Ports: 'PORTS' },
  fields: (r) => {
    const service = r.noResolve ? r.task.serviceId : r.serviceName || r.task.serviceName || r.task.serviceId;
    const node = (id: string) => (r.noResolve ? id : (r.nodeHostnames[id] ?? id));
    return {
      ID: r.noTrunc ? r.task.id : r.task.id.slice(0, 12),
      Name: `${r.history ? ' \\_ ' : ''}${taskSlotName(service, r.task, node)}`,
      Image: r.noTrunc ? (r.task.spec?.container?.image ?? '') : imageWithoutDigest(r.task.spec?.container?.image ?? ''),
      Node: r.task.nodeId === '' ? '' : r.noResolve ? r.task.nodeId : (r.nodeHostnames[r.task.nodeId] ?? ''),
      DesiredState: stateWord(r.task.desiredState),
      CurrentState: currentState(r.task, r.now),
      Error: taskError(r.task, r.noTrunc),
      Ports: '',
    };
  },
};

export function managerStatusOf(v: NodeView): string {
  if (v.node?.role !== NodeRole.NODE_ROLE_MANAGER) return '';
  if (v.leader) return 'Leader';
  return v.reachable ? 'Reachable' : 'Unreachable';
}

/** `node ls`: the ID column marks this node with `*`, as docker's default table does. */
export const NODE_LIST: ListContext<NodeView> = {
  typeName: '*formatter.nodeContext',
  defaultTable: 'table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}',
  headers: { ID: 'ID', Self: '', Hostname: 'HOSTNAME', Status: 'STATUS', Availability: 'AVAILABILITY', ManagerStatus: 'MANAGER STATUS', EngineVersion: 'ENGINE VERSION' },
  fields: (v) => ({
    ID: v.node?.id ?? '',
    Self: v.self,
    Hostname: v.node?.description?.hostname ?? '',
    Status: word(v.node?.status?.state ?? NodeState.NODE_STATE_UNKNOWN, 'NODE_STATE_'),
    Availability: word(v.node?.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE, 'NODE_AVAILABILITY_'),
    ManagerStatus: managerStatusOf(v),
    EngineVersion: v.node?.description?.engine?.engineVersion ?? '',
  }),
};

