import { MountType, taskSlotName, type HealthConfig, type Task } from '@flotilla/api';
import type Docker from 'dockerode';
import { hostPortBindings } from './host-ports.js';
import { isPluginVolume } from '../volumes/plugin-volumes.js';
import { LABEL_NODE_ID, LABEL_SERVICE_ID, LABEL_SERVICE_NAME, LABEL_TASK_ID } from './labels.js';

/** Docker's default when a service gives no stop grace period. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** `<service>.<slot>.<taskId>` for replicated tasks, `<service>.<nodeId>.<taskId>` for global ones, like Docker. */
export function containerName(task: Task): string {
  return `${taskSlotName(task.serviceName, task)}.${task.id}`;
}

export function stopGraceMs(task: Task): number {
  const c = task.spec?.container;
  return c?.hasStopGracePeriod ? c.stopGracePeriodMs : DEFAULT_STOP_GRACE_MS;
}

const msToNs = (ms: number): number => ms * 1_000_000;

/** Pure translation of a task into Docker's container-create options. */
export function containerCreateOptions(task: Task): Docker.ContainerCreateOptions {
  const c = task.spec?.container;
  if (!c?.image) throw new Error(`task ${task.id} has no container image`);
  const limits = task.spec?.resources?.limits;
  const reservations = task.spec?.resources?.reservations;
  const hc = c.healthcheck;
  const { ExposedPorts, PortBindings } = hostPortBindings(task);
  const opts: Docker.ContainerCreateOptions = {
    name: containerName(task),
    Image: c.image,
    Env: c.env,
    Labels: {
      ...c.labels,
      [LABEL_SERVICE_ID]: task.serviceId,
      [LABEL_SERVICE_NAME]: task.serviceName,
      [LABEL_TASK_ID]: task.id,
      [LABEL_NODE_ID]: task.nodeId,
    },
    StopTimeout: Math.ceil(stopGraceMs(task) / 1000),
    ...(ExposedPorts ? { ExposedPorts } : {}),
    HostConfig: {
      ...(PortBindings ? { PortBindings } : {}),
      // Plugin volumes become bind mounts once their driver has mounted them (the executor adds them).
      Mounts: c.mounts
        .filter((m) => !isPluginVolume(m))
        .map((m) => ({
          Type: m.type === MountType.MOUNT_TYPE_BIND ? 'bind' : m.type === MountType.MOUNT_TYPE_TMPFS ? 'tmpfs' : 'volume',
          Source: m.type === MountType.MOUNT_TYPE_TMPFS ? undefined : m.source,
          Target: m.target,
          ReadOnly: m.readOnly,
          ...(m.type === MountType.MOUNT_TYPE_VOLUME && Object.keys(m.volumeOptions).length > 0 ? { VolumeOptions: { DriverConfig: { Name: 'local', Options: m.volumeOptions } } } : {}),
        })) as Docker.MountConfig,
      ...(limits?.nanoCpus ? { NanoCpus: limits.nanoCpus } : {}),
      ...(limits?.memoryBytes ? { Memory: limits.memoryBytes } : {}),
      ...(limits?.pids ? { PidsLimit: limits.pids } : {}),
      ...(reservations?.memoryBytes ? { MemoryReservation: reservations.memoryBytes } : {}),
      // Compose keys a stack file uses (issue 15), as docker passes them to the engine.
      ...(c.init ? { Init: true } : {}),
      ...(c.readOnly ? { ReadonlyRootfs: true } : {}),
      ...(c.capAdd.length > 0 ? { CapAdd: c.capAdd } : {}),
      ...(c.capDrop.length > 0 ? { CapDrop: c.capDrop } : {}),
      ...(Object.keys(c.sysctls).length > 0 ? { Sysctls: c.sysctls } : {}),
      ...(c.ulimits.length > 0 ? { Ulimits: c.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) } : {}),
      ...(c.hosts.length > 0 ? { ExtraHosts: c.hosts.flatMap(hostsLineToExtraHost) } : {}),
      ...(task.spec?.logDriver?.name ? { LogConfig: { Type: task.spec.logDriver.name, Config: task.spec.logDriver.options } } : {}),
      // service create/update --dns, --dns-search, --dns-option, --group, --oom-score-adj (issue 18)
      ...(c.dnsConfig?.nameservers.length ? { Dns: c.dnsConfig.nameservers } : {}),
      ...(c.dnsConfig?.search.length ? { DnsSearch: c.dnsConfig.search } : {}),
      ...(c.dnsConfig?.options.length ? { DnsOptions: c.dnsConfig.options } : {}),
      ...(c.groups?.length ? { GroupAdd: c.groups } : {}),
      ...(c.oomScoreAdj ? { OomScoreAdj: c.oomScoreAdj } : {}),
    },
  };
  if (c.stopSignal) opts.StopSignal = c.stopSignal;
  if (c.tty) opts.Tty = true;
  if (c.openStdin) opts.OpenStdin = true;
  if (c.command.length > 0) opts.Entrypoint = c.command;
  if (c.args.length > 0) opts.Cmd = c.args;
  if (c.dir) opts.WorkingDir = c.dir;
  if (c.user) opts.User = c.user;
  if (c.hostname) opts.Hostname = c.hostname;
  const health = healthcheckOf(hc);
  if (health) opts.Healthcheck = health;
  return opts;
}

/**
 * The task's overlay networking merged into its create options. The network gateways answer
 * service names and come first; servers the service names with --dns follow them (the
 * engine's resolver asks them when the gateways do not answer). Names the gateways do not
 * know are forwarded by them to the node's own resolvers, not to --dns servers.
 */
export function withNetworking(opts: Docker.ContainerCreateOptions, networking: Pick<Docker.ContainerCreateOptions, 'HostConfig' | 'NetworkingConfig'> | undefined): Docker.ContainerCreateOptions {
  if (!networking) return opts;
  const out = { ...opts };
  if (networking.HostConfig) {
    const dns = [...(networking.HostConfig.Dns ?? []), ...(opts.HostConfig?.Dns ?? []).filter((d) => !(networking.HostConfig?.Dns ?? []).includes(d))];
    out.HostConfig = { ...opts.HostConfig, ...networking.HostConfig, ...(dns.length > 0 ? { Dns: dns } : {}) };
  }
  if (networking.NetworkingConfig) out.NetworkingConfig = networking.NetworkingConfig;
  return out;
}

/** The spec keeps hosts-file lines ("IP HOST [ALIAS...]"); the engine wants "HOST:IP". */
export function hostsLineToExtraHost(line: string): string[] {
  const [ip = '', ...names] = line.trim().split(/\s+/);
  if (names.length === 0) return [line]; // already HOST:IP
  return names.map((n) => `${n}:${ip}`);
}

/**
 * The spec's health check as Docker's, merged by the engine over the image's HEALTHCHECK:
 * no config or an all-empty one inherits the image's check entirely; an empty test with
 * timings keeps the image's test and overrides its timings (a zero timing inherits too);
 * ["NONE"] disables the image's check.
 */
export function healthcheckOf(hc: HealthConfig | undefined): Docker.HealthConfig | undefined {
  if (!hc) return undefined;
  if (hc.test[0] === 'NONE') return { Test: ['NONE'] };
  const timings = {
    Interval: msToNs(hc.intervalMs),
    Timeout: msToNs(hc.timeoutMs),
    Retries: hc.retries,
    StartPeriod: msToNs(hc.startPeriodMs),
    // Engines before API 1.44 ignore it (and check at Interval during the start period too).
    ...(hc.startIntervalMs ? { StartInterval: msToNs(hc.startIntervalMs) } : {}),
  };
  if (hc.test.length === 0 && !timings.Interval && !timings.Timeout && !timings.Retries && !timings.StartPeriod && !timings.StartInterval) return undefined;
  return hc.test.length > 0 ? { Test: hc.test, ...timings } : timings;
}
