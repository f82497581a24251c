import { randomBytes } from 'node:crypto';
import {
  MountType,
  RestartCondition,
  ServiceMode,
  SpecError,
  parseDuration,
  parseMemoryBytes,
  parseNanoCpus,
  type Mount,
  type ServiceSpec,
} from '@flotilla/api';
import type { SpecInput } from '@flotilla/api';
import { CliError } from '../errors.js';
import { healthFromFlags, type HealthFlags } from './service-health-flags.js';
import { networkPartsFromFlags, type ServiceNetworkFlags } from './service-network-flags.js';
import { parseConfigFlag, parseSecretFlag } from './secret-flags.js';
import { modeFromFlag, placementFromFlags, type PlacementFlags } from './service-placement-flags.js';

/** `service create` options as commander hands them over. */
export interface ServiceCreateOptions extends HealthFlags, ServiceNetworkFlags, PlacementFlags {
  name?: string;
  replicas?: string;
  mode?: string;
  constraint: string[];
  env: string[];
  label: string[];
  containerLabel: string[];
  restartCondition?: string;
  restartDelay?: string;
  restartMaxAttempts?: string;
  restartWindow?: string;
  limitCpu?: string;
  limitMemory?: string;
  reserveCpu?: string;
  reserveMemory?: string;
  mount: string[];
  secret?: string[];
  config?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  entrypoint?: string;
  stopGracePeriod?: string;
  detach?: boolean;
}

/** docker names a service left unnamed; so do we, plainly. */
function generatedName(): string {
  return `service_${randomBytes(4).toString('hex')}`;
}

/** A usage mistake in a flag value: exit 2 like commander's own, nothing sent to the daemon. */
const usage = (message: string) => new CliError(message, 2);

/** A flag value through an api parser: its SpecError becomes a usage error naming the flag. */
export function wrap<T>(flag: string, value: string, parse: (v: string) => T): T {
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof SpecError) throw usage(`invalid argument "${value}" for "${flag}" flag: ${err.message}`);
    throw err;
  }
}

export function parseKeyValues(flag: string, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (key === '') throw usage(`invalid argument "${v}" for "${flag}" flag: expected key=value`);
    out[key] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

export function parseCount(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw usage(`invalid argument "${raw}" for "${flag}" flag: expected a whole number`);
  return Number(raw);
}

export const RESTART_CONDITIONS: Record<string, RestartCondition> = {
  any: RestartCondition.RESTART_CONDITION_ANY,
  none: RestartCondition.RESTART_CONDITION_NONE,
  'on-failure': RestartCondition.RESTART_CONDITION_ON_FAILURE,
};
const MOUNT_TYPES: Record<string, MountType> = { bind: MountType.MOUNT_TYPE_BIND, volume: MountType.MOUNT_TYPE_VOLUME, tmpfs: MountType.MOUNT_TYPE_TMPFS };

/** `--mount type=bind,source=/a,target=/b,readonly` (docker's CSV form). */
export function parseMount(raw: string, flag = '--mount'): Mount {
  const mount: Mount = { type: MountType.MOUNT_TYPE_VOLUME, source: '', target: '', readOnly: false, volumeDriver: '', volumeOptions: {} };
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : part.slice(eq + 1);
    if (key === 'readonly' || key === 'ro') {
      mount.readOnly = value === undefined || value === 'true' || value === '1';
    } else if (value === undefined) {
      throw usage(`invalid argument "${raw}" for "${flag}" flag: invalid field '${part}' must be a key=value pair`);
    } else if (key === 'type') {
      const type = MOUNT_TYPES[value];
      if (type === undefined) throw usage(`invalid argument "${raw}" for "${flag}" flag: unknown mount type "${value}" (bind, volume or tmpfs)`);
      mount.type = type;
    } else if (key === 'source' || key === 'src') {
      mount.source = value;
    } else if (key === 'target' || key === 'destination' || key === 'dst') {
      mount.target = value;
    } else if (key === 'volume-driver') {
      mount.volumeDriver = value;
    } else if (key === 'volume-opt') {
      // volume-opt=k=v, repeatable; docker's form keeps everything after the first '=' as the value.
      const at = value.indexOf('=');
      if (at <= 0) throw usage(`invalid argument "${raw}" for "${flag}" flag: volume-opt must be key=value (got "${value}")`);
      mount.volumeOptions[value.slice(0, at)] = value.slice(at + 1);
    } else {
      throw usage(`invalid argument "${raw}" for "${flag}" flag: unknown field "${key}"`);
    }
  }
  if (mount.target === '') throw usage(`invalid argument "${raw}" for "${flag}" flag: target is required`);
  return mount;
}

/**
 * Flags + IMAGE [COMMAND] [ARG...] → the ServiceSpec sent to the daemon, which validates it
 * (constraints, names, limits) with the api's validateServiceSpec. Only flag syntax is
 * checked here.
 */
export function serviceSpecFromFlags(opts: ServiceCreateOptions, image: string, commandArgs: readonly string[]): SpecInput<ServiceSpec> {
  const mode = modeFromFlag(opts.mode);
  const replicated = mode === ServiceMode.SERVICE_MODE_REPLICATED || mode === ServiceMode.SERVICE_MODE_REPLICATED_JOB;
  if (opts.replicas !== undefined && !replicated) throw usage('replicas can only be used with replicated or replicated-job mode');
  const placed = placementFromFlags(opts, mode);
  const condition = opts.restartCondition === undefined ? undefined : RESTART_CONDITIONS[opts.restartCondition];
  if (opts.restartCondition !== undefined && condition === undefined) {
    throw usage(`invalid argument "${opts.restartCondition}" for "--restart-condition" flag: expected none, on-failure or any`);
  }
  const restartGiven = [opts.restartCondition, opts.restartDelay, opts.restartMaxAttempts, opts.restartWindow].some((v) => v !== undefined);
  const limits = opts.limitCpu !== undefined || opts.limitMemory !== undefined;
  const reservations = opts.reserveCpu !== undefined || opts.reserveMemory !== undefined;
  const [command, ...args] = commandArgs;
  const healthcheck = healthFromFlags(opts);
  const net = networkPartsFromFlags(opts);
  return {
    annotations: { name: opts.name ?? generatedName(), labels: parseKeyValues('--label', opts.label) },
    mode,
    ...(replicated ? { replicas: opts.replicas === undefined ? 1 : parseCount('--replicas', opts.replicas) } : {}),
    ...(placed.maxConcurrent !== undefined ? { maxConcurrent: placed.maxConcurrent } : {}),
    endpoint: net.endpoint,
    task: {
      networks: net.networks,
      container: {
        image,
        command: opts.entrypoint !== undefined ? opts.entrypoint.split(/\s+/).filter((s) => s !== '') : [],
        // docker: COMMAND [ARG...] replaces the image's CMD; with --entrypoint they are its arguments.
        args: command === undefined ? [] : [command, ...args],
        env: [...opts.env],
        labels: parseKeyValues('--container-label', opts.containerLabel),
        dir: opts.workdir ?? '',
        user: opts.user ?? '',
        hostname: opts.hostname ?? '',
        mounts: opts.mount.map((raw) => parseMount(raw)),
        secrets: (opts.secret ?? []).map((raw) => parseSecretFlag('--secret', raw)),
        configs: (opts.config ?? []).map((raw) => parseConfigFlag('--config', raw)),
        ...(healthcheck ? { healthcheck } : {}),
        ...(opts.stopGracePeriod !== undefined
          ? { stopGracePeriodMs: wrap('--stop-grace-period', opts.stopGracePeriod, parseDuration), hasStopGracePeriod: true }
          : {}),
      },
      ...(limits || reservations
        ? {
            resources: {
              ...(limits
                ? {
                    limits: {
                      nanoCpus: opts.limitCpu === undefined ? 0 : wrap('--limit-cpu', opts.limitCpu, parseNanoCpus),
                      memoryBytes: opts.limitMemory === undefined ? 0 : wrap('--limit-memory', opts.limitMemory, parseMemoryBytes),
                    },
                  }
                : {}),
              ...(reservations
                ? {
                    reservations: {
                      nanoCpus: opts.reserveCpu === undefined ? 0 : wrap('--reserve-cpu', opts.reserveCpu, parseNanoCpus),
                      memoryBytes: opts.reserveMemory === undefined ? 0 : wrap('--reserve-memory', opts.reserveMemory, parseMemoryBytes),
                    },
                  }
                : {}),
            },
          }
        : {}),
      ...(restartGiven
        ? {
            restart: {
              ...(condition !== undefined ? { condition } : {}),
              ...(opts.restartDelay !== undefined ? { delayMs: wrap('--restart-delay', opts.restartDelay, parseDuration) } : {}),
              ...(opts.restartMaxAttempts !== undefined ? { maxAttempts: parseCount('--restart-max-attempts', opts.restartMaxAttempts) } : {}),
              ...(opts.restartWindow !== undefined ? { windowMs: wrap('--restart-window', opts.restartWindow, parseDuration) } : {}),
            },
          }
        : {}),
      placement: { constraints: [...opts.constraint], ...placed.placement },
    },
  };
}
