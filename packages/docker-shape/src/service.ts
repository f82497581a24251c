// swarm.Service and swarm.TaskSpec of the Docker Engine API (moby api/types/swarm), field for
// field and in Go's order, from Flotilla's Service: what `service inspect` prints and what the
// Engine API's /services answers.
import {
  EndpointMode,
  MountType,
  PortProtocol,
  PublishMode,
  RestartCondition,
  ServiceMode,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  type ContainerSpec,
  type Endpoint,
  type EndpointSpec,
  type HealthConfig,
  type Mount,
  type PortConfig,
  type Service,
  type ServiceSpec,
  type TaskSpec,
  type UpdateConfig,
  type UpdateStatus,
} from '@flotilla/api';
import { durationNs, goMap, goTime, objectHeader, opt } from './go-values.js';

export type Json = Record<string, unknown>;

const RESTART: Record<RestartCondition, string> = {
  [RestartCondition.RESTART_CONDITION_ANY]: 'any',
  [RestartCondition.RESTART_CONDITION_NONE]: 'none',
  [RestartCondition.RESTART_CONDITION_ON_FAILURE]: 'on-failure',
  [RestartCondition.UNRECOGNIZED]: '',
};
const FAILURE_ACTION: Record<UpdateFailureAction, string> = {
  [UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE]: 'pause',
  [UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE]: 'continue',
  [UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK]: 'rollback',
  [UpdateFailureAction.UNRECOGNIZED]: '',
};
const ORDER: Record<UpdateOrder, string> = {
  [UpdateOrder.UPDATE_ORDER_STOP_FIRST]: 'stop-first',
  [UpdateOrder.UPDATE_ORDER_START_FIRST]: 'start-first',
  [UpdateOrder.UNRECOGNIZED]: '',
};
const UPDATE_STATE: Record<UpdateState, string> = {
  [UpdateState.UPDATE_STATE_UNKNOWN]: '',
  [UpdateState.UPDATE_STATE_UPDATING]: 'updating',
  [UpdateState.UPDATE_STATE_PAUSED]: 'paused',
  [UpdateState.UPDATE_STATE_COMPLETED]: 'completed',
  [UpdateState.UPDATE_STATE_ROLLBACK_STARTED]: 'rollback_started',
  [UpdateState.UPDATE_STATE_ROLLBACK_PAUSED]: 'rollback_paused',
  [UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED]: 'rollback_completed',
  [UpdateState.UNRECOGNIZED]: '',
};

export const protocolWord = (p: PortProtocol): string => (p === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp');
export const publishModeWord = (m: PublishMode): string => (m === PublishMode.PUBLISH_MODE_HOST ? 'host' : 'ingress');
export const endpointModeWord = (m: EndpointMode): string => (m === EndpointMode.ENDPOINT_MODE_DNSRR ? 'dnsrr' : 'vip');
export const restartConditionWord = (c: RestartCondition): string => RESTART[c];
export const updateStateWord = (s: UpdateState): string => UPDATE_STATE[s];

/** swarm.PortConfig */
export function dockerPort(p: PortConfig): Json {
  return {
    ...opt('Name', p.name),
    Protocol: protocolWord(p.protocol),
    ...opt('TargetPort', p.targetPort),
    ...opt('PublishedPort', p.publishedPort),
    PublishMode: publishModeWord(p.publishMode),
  };
}

/** swarm.EndpointSpec */
export function dockerEndpointSpec(e: EndpointSpec | undefined): Json {
  return { Mode: endpointModeWord(e?.mode ?? EndpointMode.ENDPOINT_MODE_VIP), ...opt('Ports', (e?.ports ?? []).map(dockerPort)) };
}

/** swarm.Endpoint: the spec, the ports with what was allocated, the virtual IPs. */
export function dockerEndpoint(e: Endpoint | undefined, spec: EndpointSpec | undefined): Json {
  return {
    Spec: dockerEndpointSpec(e?.spec ?? spec),
    ...opt('Ports', (e?.ports ?? []).map(dockerPort)),
    ...opt(
      'VirtualIPs',
      (e?.virtualIps ?? []).map((v) => ({ ...opt('NetworkID', v.networkId), ...opt('Addr', v.addr) })),
    ),
  };
}

const MOUNT_TYPE: Record<MountType, string> = {
  [MountType.MOUNT_TYPE_BIND]: 'bind',
  [MountType.MOUNT_TYPE_VOLUME]: 'volume',
  [MountType.MOUNT_TYPE_TMPFS]: 'tmpfs',
  [MountType.UNRECOGNIZED]: '',
};

/** mount.Mount */
export function dockerMount(m: Mount): Json {
  const driver = m.volumeDriver || Object.keys(m.volumeOptions).length > 0;
  return {
    Type: MOUNT_TYPE[m.type],
    ...opt('Source', m.source),
    ...opt('Target', m.target),
    ...opt('ReadOnly', m.readOnly),
    ...(m.type === MountType.MOUNT_TYPE_VOLUME && driver
      ? { VolumeOptions: { DriverConfig: { ...opt('Name', m.volumeDriver), ...opt('Options', goMap(m.volumeOptions)) } } }
      : {}),
  };
}

/** container.HealthConfig (durations in nanoseconds). */
export function dockerHealthcheck(h: HealthConfig): Json {
  return {
    ...opt('Test', h.test),
    ...opt('Interval', durationNs(h.intervalMs)),
    ...opt('Timeout', durationNs(h.timeoutMs)),
    ...opt('StartPeriod', durationNs(h.startPeriodMs)),
    ...opt('StartInterval', durationNs(h.startIntervalMs)),
    ...opt('Retries', h.retries),
  };
}

/** swarm.ContainerSpec */
export function dockerContainerSpec(c: ContainerSpec): Json {
  const dns = c.dnsConfig;
  return {
    ...opt('Image', c.image),
    ...opt('Labels', goMap(c.labels)),
    ...opt('Command', c.command),
    ...opt('Args', c.args),
    ...opt('Hostname', c.hostname),
    ...opt('Env', c.env),
    ...opt('Dir', c.dir),
    ...opt('User', c.user),
    ...opt('Groups', c.groups),
    Init: c.init,
    ...opt('StopSignal', c.stopSignal),
    ...opt('TTY', c.tty),
    ...opt('OpenStdin', c.openStdin),
    ...opt('ReadOnly', c.readOnly),
    ...opt('Mounts', c.mounts.map(dockerMount)),
    ...(c.hasStopGracePeriod ? { StopGracePeriod: durationNs(c.stopGracePeriodMs) } : {}),
    ...(c.healthcheck ? { Healthcheck: dockerHealthcheck(c.healthcheck) } : {}),
    ...opt('Hosts', c.hosts),
    DNSConfig: { ...opt('Nameservers', dns?.nameservers ?? []), ...opt('Search', dns?.search ?? []), ...opt('Options', dns?.options ?? []) },
    ...opt(
      'Secrets',
      (c.secrets ?? []).map((s) => ({ File: { Name: s.target, UID: s.uid || '0', GID: s.gid || '0', Mode: s.mode }, SecretID: s.secretId, SecretName: s.secretName })),
    ),
    ...opt(
      'Configs',
      (c.configs ?? []).map((s) => ({ File: { Name: s.target, UID: s.uid || '0', GID: s.gid || '0', Mode: s.mode }, ConfigID: s.configId, ConfigName: s.configName })),
    ),
    Isolation: 'default',
    ...opt('Sysctls', goMap(c.sysctls)),
    ...opt('CapabilityAdd', c.capAdd),
    ...opt('CapabilityDrop', c.capDrop),
    ...opt(
      'Ulimits',
      c.ulimits.map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
    ),
    ...opt('OomScoreAdj', c.oomScoreAdj),
  };
}

/** swarm.TaskSpec */
export function dockerTaskSpec(t: TaskSpec | undefined): Json {
  const limits = t?.resources?.limits;
  const reservations = t?.resources?.reservations;
  const restart = t?.restart;
  return {
    ...(t?.container ? { ContainerSpec: dockerContainerSpec(t.container) } : {}),
    Resources: {
      Limits: { ...opt('NanoCPUs', limits?.nanoCpus ?? 0), ...opt('MemoryBytes', limits?.memoryBytes ?? 0), ...opt('Pids', limits?.pids ?? 0) },
      Reservations: {
        ...opt('NanoCPUs', reservations?.nanoCpus ?? 0),
        ...opt('MemoryBytes', reservations?.memoryBytes ?? 0),
      },
    },
    ...(restart
      ? {
          RestartPolicy: {
            Condition: RESTART[restart.condition],
            Delay: durationNs(restart.delayMs),
            MaxAttempts: restart.maxAttempts,
            ...(restart.windowMs ? { Window: durationNs(restart.windowMs) } : {}),
          },
        }
      : {}),
    Placement: { ...opt('Constraints', t?.placement?.constraints ?? []) },
    ...opt(
      'Networks',
      (t?.networks ?? []).map((n) => ({ ...opt('Target', n.target), ...opt('Aliases', n.aliases) })),
    ),
    ...(t?.logDriver?.name ? { LogDriver: { Name: t.logDriver.name, ...opt('Options', goMap(t.logDriver.options)) } } : {}),
    ForceUpdate: t?.forceUpdate ?? 0,
    Runtime: 'container',
  };
}

/** swarm.UpdateConfig */
export function dockerUpdateConfig(u: UpdateConfig): Json {
  return {
    Parallelism: u.parallelism,
    ...opt('Delay', durationNs(u.delayMs)),
    FailureAction: FAILURE_ACTION[u.failureAction],
    ...opt('Monitor', durationNs(u.monitorMs)),
    MaxFailureRatio: u.maxFailureRatio,
    Order: ORDER[u.order],
  };
}

/** swarm.ServiceSpec */
export function dockerServiceSpec(s: ServiceSpec): Json {
  return {
    ...opt('Name', s.annotations?.name ?? ''),
    Labels: goMap(s.annotations?.labels),
    TaskTemplate: dockerTaskSpec(s.task),
    Mode: s.mode === ServiceMode.SERVICE_MODE_GLOBAL ? { Global: {} } : { Replicated: { Replicas: s.replicas } },
    ...(s.update ? { UpdateConfig: dockerUpdateConfig(s.update) } : {}),
    ...(s.rollback ? { RollbackConfig: dockerUpdateConfig(s.rollback) } : {}),
    EndpointSpec: dockerEndpointSpec(s.endpoint),
  };
}

/** swarm.UpdateStatus */
export function dockerUpdateStatus(u: UpdateStatus): Json {
  return {
    ...opt('State', UPDATE_STATE[u.state]),
    ...(u.startedAt ? { StartedAt: goTime(u.startedAt) } : {}),
    ...(u.completedAt ? { CompletedAt: goTime(u.completedAt) } : {}),
    ...opt('Message', u.message),
  };
}

export interface ServiceCounts {
  running: number;
  desired: number;
  completed?: number;
}

/** swarm.Service; `counts` adds ServiceStatus, as the Engine API does for `?status=true`. */
export function dockerService(s: Service, counts?: ServiceCounts): Json {
  return {
    ...objectHeader(s.id, s.meta),
    Spec: s.spec ? dockerServiceSpec(s.spec) : {},
    ...(s.previousSpec ? { PreviousSpec: dockerServiceSpec(s.previousSpec) } : {}),
    Endpoint: dockerEndpoint(s.endpoint, s.spec?.endpoint),
    ...(s.updateStatus && s.updateStatus.state !== UpdateState.UPDATE_STATE_UNKNOWN ? { UpdateStatus: dockerUpdateStatus(s.updateStatus) } : {}),
    ...(counts ? { ServiceStatus: { RunningTasks: counts.running, DesiredTasks: counts.desired, CompletedTasks: counts.completed ?? 0 } } : {}),
  };
}
