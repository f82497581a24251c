// `service update` flags for the settings `service create` takes once (docker's update
// counterparts): mounts, resources, restart policy, user, workdir, hostname, entrypoint, stop
// grace period, endpoint mode and container labels. Only what a flag names changes; syntax is
// checked here and the daemon validates the whole spec.
import { EndpointMode, parseDuration, parseMemoryBytes, parseNanoCpus, type Resources, type ServiceSpec } from '@flotilla/api';
import { CliError } from '../errors.js';
import { parseCount, parseKeyValues, parseMount, RESTART_CONDITIONS, wrap } from './service-flags.js';
import { parseEndpointMode } from './service-network-flags.js';

export interface ContainerUpdateFlags {
  mountAdd?: string[];
  mountRm?: string[];
  limitCpu?: string;
  limitMemory?: string;
  reserveCpu?: string;
  reserveMemory?: string;
  restartCondition?: string;
  restartDelay?: string;
  restartMaxAttempts?: string;
  restartWindow?: string;
  user?: string;
  workdir?: string;
  hostname?: string;
  entrypoint?: string;
  stopGracePeriod?: string;
  endpointMode?: string;
  containerLabelAdd?: string[];
  containerLabelRm?: string[];
}

const usage = (message: string) => new CliError(message, 2);

type Task = NonNullable<ServiceSpec['task']>;
type Container = NonNullable<Task['container']>;

/** Applies the flags to `spec` (a copy the caller owns). */
export function applyContainerUpdate(spec: ServiceSpec, o: ContainerUpdateFlags): void {
  const task = spec.task!;
  const container = task.container!;
  updateMounts(container, o.mountAdd ?? [], o.mountRm ?? []);
  updateResources(task, o);
  updateRestart(task, o);
  if (o.user !== undefined) container.user = o.user;
  if (o.workdir !== undefined) container.dir = o.workdir;
  if (o.hostname !== undefined) container.hostname = o.hostname;
  // As at create: the words become the container's command; "" goes back to the image's ENTRYPOINT.
  if (o.entrypoint !== undefined) container.command = o.entrypoint.split(/\s+/).filter((s) => s !== '');
  if (o.stopGracePeriod !== undefined) {
    container.stopGracePeriodMs = wrap('--stop-grace-period', o.stopGracePeriod, parseDuration);
    container.hasStopGracePeriod = true;
  }
  if (o.endpointMode !== undefined) {
    const endpoint = (spec.endpoint ??= { mode: EndpointMode.ENDPOINT_MODE_VIP, ports: [] });
    endpoint.mode = parseEndpointMode(o.endpointMode);
  }
  if (o.containerLabelAdd?.length || o.containerLabelRm?.length) {
    // docker adds first, then removes: a key named by both ends up removed.
    const labels = { ...container.labels, ...parseKeyValues('--container-label-add', o.containerLabelAdd ?? []) };
    for (const key of o.containerLabelRm ?? []) delete labels[key];
    container.labels = labels;
  }
}

/** docker: --mount-add replaces a mount of the same target, --mount-rm removes by target (and wins). */
function updateMounts(container: Container, add: readonly string[], rm: readonly string[]): void {
  if (add.length === 0 && rm.length === 0) return;
  const added = add.map((raw) => parseMount(raw, '--mount-add'));
  const targets = new Set<string>();
  for (const m of added) {
    if (targets.has(m.target)) throw usage(`invalid argument for "--mount-add" flag: duplicate mount target ${m.target}`);
    targets.add(m.target);
  }
  const removed = new Set(rm);
  const kept = container.mounts.map((m) => added.find((a) => a.target === m.target) ?? m);
  const fresh = added.filter((a) => !container.mounts.some((m) => m.target === a.target));
  container.mounts = [...kept, ...fresh].filter((m) => !removed.has(m.target));
}

const noResources = (): Resources => ({ nanoCpus: 0, memoryBytes: 0, pids: 0 });

/** Each of --limit-cpu/--limit-memory/--reserve-cpu/--reserve-memory sets its value; 0 removes it. */
function updateResources(task: Task, o: ContainerUpdateFlags): void {
  const given = [o.limitCpu, o.limitMemory, o.reserveCpu, o.reserveMemory].some((v) => v !== undefined);
  if (!given) return;
  const limits = { ...noResources(), ...task.resources?.limits };
  const reservations = { ...noResources(), ...task.resources?.reservations };
  if (o.limitCpu !== undefined) limits.nanoCpus = wrap('--limit-cpu', o.limitCpu, parseNanoCpus);
  if (o.limitMemory !== undefined) limits.memoryBytes = wrap('--limit-memory', o.limitMemory, parseMemoryBytes);
  if (o.reserveCpu !== undefined) reservations.nanoCpus = wrap('--reserve-cpu', o.reserveCpu, parseNanoCpus);
  if (o.reserveMemory !== undefined) reservations.memoryBytes = wrap('--reserve-memory', o.reserveMemory, parseMemoryBytes);
  task.resources = { limits, reservations };
}

function updateRestart(task: Task, o: ContainerUpdateFlags): void {
  const given = [o.restartCondition, o.restartDelay, o.restartMaxAttempts, o.restartWindow].some((v) => v !== undefined);
  if (!given) return;
  const restart = { ...task.restart } as NonNullable<Task['restart']>;
  if (o.restartCondition !== undefined) {
    const condition = RESTART_CONDITIONS[o.restartCondition];
    if (condition === undefined) throw usage(`invalid argument "${o.restartCondition}" for "--restart-condition" flag: expected none, on-failure or any`);
    restart.condition = condition;
  }
  if (o.restartDelay !== undefined) restart.delayMs = wrap('--restart-delay', o.restartDelay, parseDuration);
  if (o.restartMaxAttempts !== undefined) restart.maxAttempts = parseCount('--restart-max-attempts', o.restartMaxAttempts);
  if (o.restartWindow !== undefined) restart.windowMs = wrap('--restart-window', o.restartWindow, parseDuration);
  task.restart = restart;
}
