import {
  EndpointMode,
  SpecError,
  UpdateFailureAction,
  UpdateOrder,
  defaultUpdateConfig,
  parseDuration,
  type ServiceSpec,
  type UpdateConfig,
} from '@flotilla/api';
import { CliError } from '../errors.js';
import { parseKeyValues } from './service-flags.js';
import { updatedHealth, type HealthFlags } from './service-health-flags.js';
import { updatedNetworks, updatedPorts } from './service-network-update.js';
import { updatedConfigs, updatedSecrets } from './secret-flags.js';
import { applyPlacementUpdate, type PlacementUpdateFlags } from './service-placement-flags.js';
import { applyContainerUpdate, type ContainerUpdateFlags } from './service-container-update-flags.js';

/** `service update` options as commander hands them over. */
export interface ServiceUpdateOptions extends HealthFlags, PlacementUpdateFlags, ContainerUpdateFlags {
  image?: string;
  envAdd: string[];
  envRm: string[];
  args?: string;
  replicas?: string;
  constraintAdd: string[];
  constraintRm: string[];
  labelAdd: string[];
  labelRm: string[];
  secretAdd?: string[];
  secretRm?: string[];
  configAdd?: string[];
  configRm?: string[];
  networkAdd?: string[];
  networkRm?: string[];
  publishAdd?: string[];
  publishRm?: string[];
  force?: boolean;
  updateParallelism?: string;
  updateDelay?: string;
  updateOrder?: string;
  updateFailureAction?: string;
  updateMonitor?: string;
  updateMaxFailureRatio?: string;
  rollbackParallelism?: string;
  rollbackDelay?: string;
  rollbackOrder?: string;
  rollbackFailureAction?: string;
  rollbackMonitor?: string;
  rollbackMaxFailureRatio?: string;
  detach?: boolean;
}

const usage = (message: string) => new CliError(message, 2);

const ORDERS: Record<string, UpdateOrder> = { 'stop-first': UpdateOrder.UPDATE_ORDER_STOP_FIRST, 'start-first': UpdateOrder.UPDATE_ORDER_START_FIRST };
const ACTIONS: Record<string, UpdateFailureAction> = {
  pause: UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE,
  continue: UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE,
  rollback: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK,
};

function count(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw usage(`invalid argument "${raw}" for "${flag}" flag: expected a whole number`);
  return Number(raw);
}

function duration(flag: string, raw: string): number {
  try {
    return parseDuration(raw);
  } catch (err) {
    if (err instanceof SpecError) throw usage(`invalid argument "${raw}" for "${flag}" flag: ${err.message}`);
    throw err;
  }
}

function ratio(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw usage(`invalid argument "${raw}" for "${flag}" flag: expected a number between 0 and 1`);
  return n;
}

function choice<T>(flag: string, raw: string, choices: Record<string, T>): T {
  const v = choices[raw];
  if (v === undefined) throw usage(`invalid argument "${raw}" for "${flag}" flag: expected ${Object.keys(choices).join(', ')}`);
  return v;
}

type ConfigFlags = { parallelism?: string; delay?: string; order?: string; failureAction?: string; monitor?: string; maxFailureRatio?: string };

function updateConfig(prefix: '--update' | '--rollback', current: UpdateConfig | undefined, f: ConfigFlags): UpdateConfig {
  const cfg: UpdateConfig = { ...defaultUpdateConfig(), ...current };
  if (f.parallelism !== undefined) cfg.parallelism = count(`${prefix}-parallelism`, f.parallelism);
  if (f.delay !== undefined) cfg.delayMs = duration(`${prefix}-delay`, f.delay);
  if (f.order !== undefined) cfg.order = choice(`${prefix}-order`, f.order, ORDERS);
  if (f.failureAction !== undefined) {
    const actions = prefix === '--rollback' ? { pause: ACTIONS.pause!, continue: ACTIONS.continue! } : ACTIONS;
    cfg.failureAction = choice(`${prefix}-failure-action`, f.failureAction, actions);
  }
  if (f.monitor !== undefined) cfg.monitorMs = duration(`${prefix}-monitor`, f.monitor);
  if (f.maxFailureRatio !== undefined) cfg.maxFailureRatio = ratio(`${prefix}-max-failure-ratio`, f.maxFailureRatio);
  return cfg;
}

const envKey = (entry: string): string => (entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry);

/**
 * The current spec with `service update`'s flags applied, as docker does it: only what a flag
 * names changes. `--force` bumps forceUpdate so every task is replaced even with no other change.
 * Only flag syntax is checked here; the daemon validates the whole spec.
 */
export function applyUpdateFlags(current: ServiceSpec, o: ServiceUpdateOptions): ServiceSpec {
  const spec: ServiceSpec = structuredClone(current);
  const task = (spec.task ??= { container: undefined, resources: undefined, restart: undefined, placement: undefined, networks: [], forceUpdate: 0 });
  const container = (task.container ??= { image: '', command: [], args: [], env: [], labels: {}, dir: '', user: '', hostname: '', mounts: [], stopGracePeriodMs: 0, hasStopGracePeriod: false } as never);
  if (o.image !== undefined) {
    if (o.image.trim() === '') throw usage('invalid argument "" for "--image" flag: an image is required');
    container.image = o.image;
  }
  if (o.args !== undefined) container.args = o.args.split(/\s+/).filter((s) => s !== '');
  if (o.envRm.length || o.envAdd.length) {
    const removed = new Set([...o.envRm.map(envKey), ...o.envAdd.map(envKey)]);
    for (const e of o.envAdd) if (envKey(e) === '') throw usage(`invalid argument "${e}" for "--env-add" flag: expected KEY=VALUE`);
    container.env = [...container.env.filter((e) => !removed.has(envKey(e))), ...o.envAdd];
  }
  if (o.replicas !== undefined) spec.replicas = count('--replicas', o.replicas);
  applyPlacementUpdate(spec, o);
  if (o.constraintAdd.length || o.constraintRm.length) {
    const placement = (task.placement ??= { constraints: [], preferences: [], maxReplicas: 0 });
    const kept = placement.constraints.filter((c) => !o.constraintRm.includes(c));
    placement.constraints = [...kept, ...o.constraintAdd.filter((c) => !kept.includes(c))];
  }
  if (o.labelAdd.length || o.labelRm.length) {
    const annotations = (spec.annotations ??= { name: '', labels: {} });
    const labels = { ...annotations.labels };
    for (const k of o.labelRm) delete labels[k];
    Object.assign(labels, parseKeyValues('--label-add', o.labelAdd));
    annotations.labels = labels;
  }
  if (o.secretAdd?.length || o.secretRm?.length) container.secrets = updatedSecrets(container.secrets ?? [], o.secretAdd ?? [], o.secretRm ?? []);
  if (o.configAdd?.length || o.configRm?.length) container.configs = updatedConfigs(container.configs ?? [], o.configAdd ?? [], o.configRm ?? []);
  if (o.networkAdd?.length || o.networkRm?.length) task.networks = updatedNetworks(task.networks ?? [], o.networkAdd ?? [], o.networkRm ?? []);
  if (o.publishAdd?.length || o.publishRm?.length) {
    const endpoint = (spec.endpoint ??= { mode: EndpointMode.ENDPOINT_MODE_VIP, ports: [] });
    endpoint.ports = updatedPorts(endpoint.ports, o.publishAdd ?? [], o.publishRm ?? []);
  }
  applyContainerUpdate(spec, o);
  const healthcheck = updatedHealth(container.healthcheck, o);
  if (healthcheck) container.healthcheck = healthcheck;
  if (o.force) task.forceUpdate = (task.forceUpdate ?? 0) + 1;
  spec.update = updateConfig('--update', spec.update, {
    parallelism: o.updateParallelism, delay: o.updateDelay, order: o.updateOrder,
    failureAction: o.updateFailureAction, monitor: o.updateMonitor, maxFailureRatio: o.updateMaxFailureRatio,
  });
  spec.rollback = updateConfig('--rollback', spec.rollback, {
    parallelism: o.rollbackParallelism, delay: o.rollbackDelay, order: o.rollbackOrder,
    failureAction: o.rollbackFailureAction, monitor: o.rollbackMonitor, maxFailureRatio: o.rollbackMaxFailureRatio,
  });
  return spec;
}
