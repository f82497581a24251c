import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { ResourceRequirements, Resources } from '../gen/flotilla/common.js';
import { MountType, type ConfigReference, type ContainerSpec, type DnsConfig, type HealthConfig, type Mount, type SecretReference, type Ulimit } from '../gen/flotilla/container.js';
import { RestartCondition, type LogDriver, type NetworkAttachmentConfig, type PlacementPreference, type RestartPolicy, type TaskSpec } from '../gen/flotilla/service.js';
import { parseConstraint } from './constraint.js';
import { DEFAULT_RESTART_CONDITION, DEFAULT_RESTART_DELAY_MS, DEFAULT_STOP_GRACE_PERIOD_MS } from './defaults.js';
import { parseImageReference } from './image.js';
import { checkDurationMs, checkEnum, checkInteger, checkLabels, numberOr, type Problems, type SpecInput } from './problems.js';

/** Docker's mode for a secret file in the container: readable by everyone in it, written by no one. */
export const DEFAULT_SECRET_FILE_MODE = 0o444;

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const ENV_NAME = /^[^=\s][^=]*$/;

/** Checks a TaskSpec and returns it with every default filled in. */
export function checkTaskSpec(p: Problems, input: SpecInput<TaskSpec> | undefined, path: string): TaskSpec {
  return {
    container: checkContainer(p, input?.container, `${path}.container`),
    resources: checkResources(p, input?.resources, `${path}.resources`),
    restart: checkRestart(p, input?.restart, `${path}.restart`),
    placement: {
      constraints: checkConstraints(p, input?.placement?.constraints ?? [], `${path}.placement.constraints`),
      preferences: checkPreferences(p, input?.placement?.preferences ?? [], `${path}.placement.preferences`),
      maxReplicas: checkedInteger(p, `${path}.placement.maxReplicas`, numberOr(input?.placement?.maxReplicas, 0)),
    },
    networks: checkNetworks(p, input?.networks ?? [], `${path}.networks`),
    forceUpdate: checkedInteger(p, `${path}.forceUpdate`, numberOr(input?.forceUpdate, 0)),
    ...(input?.logDriver ? { logDriver: checkLogDriver(p, input.logDriver, `${path}.logDriver`) } : {}),
  };
}

function checkLogDriver(p: Problems, input: SpecInput<LogDriver>, path: string): LogDriver {
  const driver: LogDriver = { name: input.name ?? '', options: { ...(input.options ?? {}) } as Record<string, string> };
  if (driver.name === '' && Object.keys(driver.options).length > 0) p.add(`${path}.name`, `${path}.name must be given with log options`);
  else if (driver.name !== '' && !/^[a-z0-9][a-z0-9_.-]*$/.test(driver.name)) p.add(`${path}.name`, `${path}.name ${JSON.stringify(driver.name)} is not a log driver name`);
  return driver;
}

/** Docker's default mode for a config file in the container, like a secret's. */
export const DEFAULT_CONFIG_FILE_MODE = 0o444;

function checkConfigs(p: Problems, inputs: ReadonlyArray<SpecInput<ConfigReference>>, path: string): ConfigReference[] {
  const targets = new Map<string, number>();
  return inputs.map((input, i) => {
    const at = `${path}[${i}]`;
    const name = input.configName ?? '';
    const ref: ConfigReference = {
      configId: input.configId ?? '',
      configName: name,
      target: input.target || (name !== '' ? `/${name}` : ''),
      uid: input.uid || '0',
      gid: input.gid || '0',
      mode: input.mode ?? DEFAULT_CONFIG_FILE_MODE,
    };
    if (!/^\d+$/.test(ref.uid)) p.add(`${at}.uid`, `${at}.uid must be a numeric user id (got ${JSON.stringify(ref.uid)})`);
    if (!/^\d+$/.test(ref.gid)) p.add(`${at}.gid`, `${at}.gid must be a numeric group id (got ${JSON.stringify(ref.gid)})`);
    if (!Number.isInteger(ref.mode) || ref.mode < 0 || ref.mode > 0o777) p.add(`${at}.mode`, `${at}.mode must be a file mode between 0 and 0777 (got ${ref.mode})`);
    if (ref.configId === '' && ref.configName === '') p.add(at, `${at} must name a config (configName or configId)`);
    if (ref.target === '') p.add(`${at}.target`, `${at}.target must be provided`);
    else if (ref.target.split('/').includes('..')) p.add(`${at}.target`, `${at}.target must not contain ".." (got ${JSON.stringify(ref.target)})`);
    else {
      const key = posix.normalize(posix.join('/', ref.target));
      if (key === '/') p.add(`${at}.target`, `${at}.target must name a file, not "/"`);
      const previous = targets.get(key);
      if (previous !== undefined) p.add(`${at}.target`, `${at}.target ${JSON.stringify(ref.target)} is already used by ${path}[${previous}]`);
      else targets.set(key, i);
    }
    return ref;
  });
}

const CAPABILITY = /^(CAP_)?[A-Z_]+$|^ALL$/;
const ULIMIT_NAMES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

function checkCapabilities(p: Problems, list: readonly string[], path: string): string[] {
  list.forEach((cap, i) => {
    if (!CAPABILITY.test(cap)) p.add(`${path}[${i}]`, `${path}[${i}] ${JSON.stringify(cap)} is not a capability name (like NET_ADMIN or CAP_NET_ADMIN)`);
  });
  return [...list];
}

function checkUlimits(p: Problems, inputs: ReadonlyArray<SpecInput<Ulimit>>, path: string): Ulimit[] {
  return inputs.map((input, i) => {
    const u: Ulimit = { name: input.name ?? '', soft: numberOr(input.soft, 0), hard: numberOr(input.hard, 0) };
    if (!ULIMIT_NAMES.has(u.name)) p.add(`${path}[${i}].name`, `${path}[${i}].name ${JSON.stringify(u.name)} is not a ulimit (${[...ULIMIT_NAMES].join(', ')})`);
    checkInteger(p, `${path}[${i}].soft`, u.soft, -1);
    checkInteger(p, `${path}[${i}].hard`, u.hard, -1);
    if (u.hard !== -1 && u.soft > u.hard) p.add(`${path}[${i}].soft`, `${path}[${i}].soft (${u.soft}) must not exceed hard (${u.hard})`);
    return u;
  });
}

function checkHosts(p: Problems, list: readonly string[], path: string): string[] {
  list.forEach((line, i) => {
    if (!/^\S+([ \t]+\S+)+$|^[^\s:]+:\S+$/.test(line.trim())) p.add(`${path}[${i}]`, `${path}[${i}] must look like "HOSTNAME:IP" or "IP HOSTNAME" (got ${JSON.stringify(line)})`);
  });
  return [...list];
}

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?';
/** A search domain, or "." for none (docker's ValidateDNSSearch). */
const DOMAIN = new RegExp(`^\\.$|^${LABEL}(\\.${LABEL})*\\.?$`);

/** --dns (IP addresses), --dns-search (domains), --dns-option (resolv.conf options such as ndots:2). */
function checkDns(p: Problems, input: SpecInput<DnsConfig> | undefined, path: string): DnsConfig {
  const dns: DnsConfig = { nameservers: [...(input?.nameservers ?? [])], search: [...(input?.search ?? [])], options: [...(input?.options ?? [])] };
  dns.nameservers.forEach((ip, i) => {
    if (!isIP(ip)) p.add(`${path}.nameservers[${i}]`, `${path}.nameservers[${i}] must be an IP address (got ${JSON.stringify(ip)})`);
  });
  dns.search.forEach((d, i) => {
    if (d.length > 255 || !DOMAIN.test(d)) p.add(`${path}.search[${i}]`, `${path}.search[${i}] is not a DNS domain (got ${JSON.stringify(d)})`);
  });

  dns.options.forEach((o, i) => {
    if (!/^[A-Za-z0-9_-]+(:\S+)?$/.test(o)) p.add(`${path}.options[${i}]`, `${path}.options[${i}] must look like NAME or NAME:VALUE (got ${JSON.stringify(o)})`);
  });
  return dns;
}

function checkGroups(p: Problems, list: readonly string[], path: string): string[] {
  list.forEach((g, i) => {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(g)) p.add(`${path}[${i}]`, `${path}[${i}] must be a group name or number (got ${JSON.stringify(g)})`);
  });
  return [...list];
}

function checkedInteger(p: Problems, field: string, value: number): number {
  checkInteger(p, field, value, 0);
  return value;
}

function checkContainer(p: Problems, input: SpecInput<ContainerSpec> | undefined, path: string): ContainerSpec {
  const image = input?.image ?? '';
  if (image === '') p.add(`${path}.image`, `${path}.image must be provided`);
  else p.parse(`${path}.image`, () => parseImageReference(image));

  const env = [...(input?.env ?? [])];
  env.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq < 0 || !ENV_NAME.test(entry.slice(0, eq))) {
      p.add(`${path}.env[${i}]`, `${path}.env[${i}] must look like NAME=value (got ${JSON.stringify(entry)})`);
    }
  });

  const dir = input?.dir ?? '';
  if (dir !== '' && !posix.isAbsolute(dir)) p.add(`${path}.dir`, `${path}.dir must be an absolute path (got ${JSON.stringify(dir)})`);

  // An explicit 0s grace period is told apart from "unset" by hasStopGracePeriod.
  const explicitGrace = input?.hasStopGracePeriod === true || (input?.stopGracePeriodMs ?? 0) !== 0;
  const stopGracePeriodMs = explicitGrace ? numberOr(input?.stopGracePeriodMs, 0) : DEFAULT_STOP_GRACE_PERIOD_MS;
  checkDurationMs(p, `${path}.stopGracePeriodMs`, stopGracePeriodMs);

  const out: ContainerSpec = {
    image,
    command: [...(input?.command ?? [])],
    args: [...(input?.args ?? [])],
    env,
    labels: checkLabels(p, `${path}.labels`, input?.labels),
    dir,
    user: input?.user ?? '',
    hostname: input?.hostname ?? '',
    mounts: checkMounts(p, input?.mounts ?? [], `${path}.mounts`),
    stopGracePeriodMs,
    secrets: checkSecrets(p, input?.secrets ?? [], `${path}.secrets`),
    hasStopGracePeriod: true,
    configs: checkConfigs(p, input?.configs ?? [], `${path}.configs`),
    init: input?.init ?? false,
    readOnly: input?.readOnly ?? false,
    capAdd: checkCapabilities(p, input?.capAdd ?? [], `${path}.capAdd`),
    capDrop: checkCapabilities(p, input?.capDrop ?? [], `${path}.capDrop`),
    sysctls: checkLabels(p, `${path}.sysctls`, input?.sysctls),
    ulimits: checkUlimits(p, input?.ulimits ?? [], `${path}.ulimits`),
    hosts: checkHosts(p, input?.hosts ?? [], `${path}.hosts`),
    stopSignal: input?.stopSignal ?? '',
    tty: input?.tty ?? false,
    openStdin: input?.openStdin ?? false,
    dnsConfig: checkDns(p, input?.dnsConfig, `${path}.dnsConfig`),
    groups: checkGroups(p, input?.groups ?? [], `${path}.groups`),
    oomScoreAdj: numberOr(input?.oomScoreAdj, 0),
  };
  if (!Number.isInteger(out.oomScoreAdj) || out.oomScoreAdj < -1000 || out.oomScoreAdj > 1000) {
    p.add(`${path}.oomScoreAdj`, `${path}.oomScoreAdj must be between -1000 and 1000 (got ${out.oomScoreAdj})`);
  }
  if (out.stopSignal !== '' && !/^(SIG)?[A-Z0-9+-]+$|^\d+$/.test(out.stopSignal)) {
    p.add(`${path}.stopSignal`, `${path}.stopSignal ${JSON.stringify(out.stopSignal)} is not a signal name or number`);
  }
  if (input?.healthcheck) out.healthcheck = checkHealth(p, input.healthcheck, `${path}.healthcheck`);
  return out;
}

const PLUGIN_REF = /^[a-z0-9][a-z0-9._/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

/** A volume driver (a plugin name; "local" is the engine's own) only on a named volume mount. */
function checkVolumeDriver(p: Problems, mount: Mount, at: string): void {
  const hasOptions = Object.keys(mount.volumeOptions).length > 0;
  if (mount.volumeDriver === '' && !hasOptions) return;
  if (mount.type !== MountType.MOUNT_TYPE_VOLUME) {
    p.add(`${at}.volumeDriver`, `${at}: volume-driver and volume-opt apply only to type=volume mounts`);
    return;
  }
  if (mount.volumeDriver !== '' && !PLUGIN_REF.test(mount.volumeDriver)) {
    p.add(`${at}.volumeDriver`, `${at}.volumeDriver ${JSON.stringify(mount.volumeDriver)} is not a plugin name`);
  }
  if (mount.volumeDriver !== '' && mount.volumeDriver !== 'local' && mount.source === '') {
    p.add(`${at}.source`, `${at}.source must name the volume when a volume driver is given`);
  }
}

function checkMounts(p: Problems, inputs: ReadonlyArray<SpecInput<Mount>>, path: string): Mount[] {
  const targets = new Map<string, number>();
  return inputs.map((input, i) => {
    const at = `${path}[${i}]`;
    const mount: Mount = {
      type: input.type ?? MountType.MOUNT_TYPE_BIND,
      source: input.source ?? '',
      target: input.target ?? '',
      readOnly: input.readOnly ?? false,
      volumeDriver: input.volumeDriver ?? '',
      volumeOptions: Object.fromEntries(Object.entries(input.volumeOptions ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')),
    };
    checkEnum(p, `${at}.type`, MountType, mount.type);
    checkVolumeDriver(p, mount, at);
    if (mount.target === '') p.add(`${at}.target`, `${at}.target must be provided`);
    else if (!posix.isAbsolute(mount.target)) p.add(`${at}.target`, `${at}.target must be an absolute path (got ${JSON.stringify(mount.target)})`);
    else if (posix.normalize(mount.target) === '/') p.add(`${at}.target`, `${at}.target must not be "/"`);
    else {
      const key = posix.normalize(mount.target).replace(/\/$/, '');
      const previous = targets.get(key);
      if (previous !== undefined) p.add(`${at}.target`, `${at}.target ${JSON.stringify(mount.target)} is already used by ${path}[${previous}]`);
      else targets.set(key, i);
    }
    switch (mount.type) {
      case MountType.MOUNT_TYPE_BIND:
        if (!posix.isAbsolute(mount.source)) {
          p.add(`${at}.source`, `${at}.source of a bind mount must be an absolute path (got ${JSON.stringify(mount.source)})`);
        }
        break;
      case MountType.MOUNT_TYPE_TMPFS:
        if (mount.source !== '') p.add(`${at}.source`, `${at}.source must be empty for a tmpfs mount (got ${JSON.stringify(mount.source)})`);
        break;
      case MountType.MOUNT_TYPE_VOLUME:
        // An empty source is an anonymous volume.
        if (mount.source !== '' && !VOLUME_NAME.test(mount.source)) {
          p.add(`${at}.source`, `${at}.source ${JSON.stringify(mount.source)} is not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)`);
        }
        break;
      default:
        break;
    }
    return mount;
  });
}

function checkSecrets(p: Problems, inputs: ReadonlyArray<SpecInput<SecretReference>>, path: string): SecretReference[] {
  const targets = new Map<string, number>();
  return inputs.map((input, i) => {
    const at = `${path}[${i}]`;
    const ref: SecretReference = {
      secretId: input.secretId ?? '',
      secretName: input.secretName ?? '',
      target: input.target || input.secretName || '',
      uid: input.uid || '0',
      gid: input.gid || '0',
      mode: input.mode ?? DEFAULT_SECRET_FILE_MODE,
    };
    if (!/^\d+$/.test(ref.uid)) p.add(`${at}.uid`, `${at}.uid must be a numeric user id (got ${JSON.stringify(ref.uid)})`);
    if (!/^\d+$/.test(ref.gid)) p.add(`${at}.gid`, `${at}.gid must be a numeric group id (got ${JSON.stringify(ref.gid)})`);
    if (!Number.isInteger(ref.mode) || ref.mode < 0 || ref.mode > 0o777) p.add(`${at}.mode`, `${at}.mode must be a file mode between 0 and 0777 (got ${ref.mode})`);
    if (ref.secretId === '' && ref.secretName === '') p.add(at, `${at} must name a secret (secretName or secretId)`);
    if (ref.target === '') p.add(`${at}.target`, `${at}.target must be provided`);
    else if (ref.target.split('/').includes('..')) p.add(`${at}.target`, `${at}.target must not contain ".." (got ${JSON.stringify(ref.target)})`);
    else {
      const previous = targets.get(ref.target);
      if (previous !== undefined) p.add(`${at}.target`, `${at}.target ${JSON.stringify(ref.target)} is already used by ${path}[${previous}]`);
      else targets.set(ref.target, i);
    }
    return ref;
  });
}

function checkHealth(p: Problems, input: SpecInput<HealthConfig>, path: string): HealthConfig {
  const health: HealthConfig = {
    test: [...(input.test ?? [])],
    intervalMs: numberOr(input.intervalMs, 0),
    timeoutMs: numberOr(input.timeoutMs, 0),
    retries: numberOr(input.retries, 0),
    startPeriodMs: numberOr(input.startPeriodMs, 0),
    startIntervalMs: numberOr(input.startIntervalMs, 0),
  };
  const [kind, ...rest] = health.test;
  if (kind === undefined) {
    // Empty: inherit the image's HEALTHCHECK.
  } else if (kind === 'NONE') {
    if (rest.length > 0) p.add(`${path}.test`, `${path}.test ["NONE"] takes no arguments`);
  } else if (kind === 'CMD') {
    if (rest.length === 0 || rest[0] === '') p.add(`${path}.test`, `${path}.test ["CMD", ...] needs a command`);
  } else if (kind === 'CMD-SHELL') {
    if (rest.length !== 1 || rest[0] === '') p.add(`${path}.test`, `${path}.test ["CMD-SHELL", ...] needs exactly one shell command`);
  } else {
    p.add(`${path}.test`, `${path}.test must start with "NONE", "CMD" or "CMD-SHELL" (got ${JSON.stringify(kind)})`);
  }
  checkDurationMs(p, `${path}.intervalMs`, health.intervalMs);
  checkDurationMs(p, `${path}.timeoutMs`, health.timeoutMs);
  checkDurationMs(p, `${path}.startPeriodMs`, health.startPeriodMs);
  checkDurationMs(p, `${path}.startIntervalMs`, health.startIntervalMs);
  checkInteger(p, `${path}.retries`, health.retries, 0);
  return health;
}

function checkResources(p: Problems, input: SpecInput<ResourceRequirements> | undefined, path: string): ResourceRequirements {
  const read = (r: SpecInput<Resources> | undefined, at: string): Resources => {
    const out = { nanoCpus: numberOr(r?.nanoCpus, 0), memoryBytes: numberOr(r?.memoryBytes, 0), pids: numberOr(r?.pids, 0) };
    checkInteger(p, `${at}.nanoCpus`, out.nanoCpus, 0);
    checkInteger(p, `${at}.memoryBytes`, out.memoryBytes, 0);
    // -1 is docker's "unlimited" too; a pids reservation means nothing.
    if (at.endsWith('.reservations')) {
      if (out.pids !== 0) p.add(`${at}.pids`, `${at}.pids cannot be reserved, only limited (got ${out.pids})`);
    } else checkInteger(p, `${at}.pids`, out.pids, -1);
    return out;
  };
  const limits = read(input?.limits, `${path}.limits`);
  const reservations = read(input?.reservations, `${path}.reservations`);
  for (const key of ['nanoCpus', 'memoryBytes'] as const) {
    // A zero limit means "unlimited", so any reservation fits under it.
    if (limits[key] > 0 && reservations[key] > limits[key]) {
      p.add(
        `${path}.reservations.${key}`,
        `${path}.reservations.${key} (${reservations[key]}) must not exceed ${path}.limits.${key} (${limits[key]})`,
      );
    }
  }
  return { limits, reservations };
}

function checkRestart(p: Problems, input: SpecInput<RestartPolicy> | undefined, path: string): RestartPolicy {
  const policy: RestartPolicy = {
    condition: input?.condition ?? DEFAULT_RESTART_CONDITION,
    delayMs: numberOr(input?.delayMs, DEFAULT_RESTART_DELAY_MS),
    maxAttempts: numberOr(input?.maxAttempts, 0),
    windowMs: numberOr(input?.windowMs, 0),
  };
  checkEnum(p, `${path}.condition`, RestartCondition, policy.condition);
  checkDurationMs(p, `${path}.delayMs`, policy.delayMs);
  checkInteger(p, `${path}.maxAttempts`, policy.maxAttempts, 0);
  checkDurationMs(p, `${path}.windowMs`, policy.windowMs);
  return policy;
}

function checkConstraints(p: Problems, list: readonly string[], path: string): string[] {
  list.forEach((expr, i) => p.parse(`${path}[${i}]`, () => parseConstraint(expr)));
  return [...list];
}

/** What a spread preference may name: SwarmKit splits on node and engine labels only. */
const SPREAD_DESCRIPTOR = /^(node|engine)\.labels\.\S+$/;

function checkPreferences(p: Problems, inputs: ReadonlyArray<SpecInput<PlacementPreference>>, path: string): PlacementPreference[] {
  return inputs.map((input, i) => {
    const spread = input.spread ?? '';
    if (!SPREAD_DESCRIPTOR.test(spread)) {
      p.add(`${path}[${i}].spread`, `${path}[${i}].spread must be node.labels.<name> or engine.labels.<name> (got ${JSON.stringify(spread)})`);
    }
    return { spread };
  });
}

function checkNetworks(p: Problems, inputs: ReadonlyArray<SpecInput<NetworkAttachmentConfig>>, path: string): NetworkAttachmentConfig[] {
  const seen = new Map<string, number>();
  return inputs.map((input, i) => {
    const at = `${path}[${i}]`;
    const net: NetworkAttachmentConfig = { target: input.target ?? '', aliases: [...(input.aliases ?? [])] };
    if (net.target === '') p.add(`${at}.target`, `${at}.target must name a network`);
    else {
      const previous = seen.get(net.target);
      if (previous !== undefined) p.add(`${at}.target`, `${at}.target: network ${JSON.stringify(net.target)} is already attached by ${path}[${previous}]`);
      else seen.set(net.target, i);
    }
    net.aliases.forEach((alias, j) => {
      if (alias === '' || /\s/.test(alias)) p.add(`${at}.aliases[${j}]`, `${at}.aliases[${j}] must be a non-empty name without spaces (got ${JSON.stringify(alias)})`);
    });
    return net;
  });
}
