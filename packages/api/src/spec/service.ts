import type { Annotations } from '../gen/flotilla/common.js';
import {
  DependencyCondition,
  EndpointMode,
  PortProtocol,
  PublishMode,
  ServiceMode,
  UpdateFailureAction,
  UpdateOrder,
  type EndpointSpec,
  type PortConfig,
  type ServiceDependency,
  type ServiceSpec,
  type UpdateConfig,
} from '../gen/flotilla/service.js';
import { DEFAULT_ENDPOINT_MODE, DEFAULT_REPLICAS, defaultUpdateConfig } from './defaults.js';
import type { SpecError } from './errors.js';
import { nameProblem } from './name.js';
import { checkDurationMs, checkEnum, checkInteger, checkLabels, numberOr, Problems, type SpecInput } from './problems.js';
import { checkTaskSpec } from './task-spec.js';

/** Result of checking a spec: the spec with defaults applied, and every problem found. */
export interface Checked<T> {
  spec: T;
  problems: SpecError[];
}

/**
 * Validates a ServiceSpec and returns a complete copy with docker's defaults
 * applied; throws the first SpecError (in field order) when anything is wrong.
 * Use checkServiceSpec to get every problem at once. The input is not changed.
 */
export function validateServiceSpec(input: SpecInput<ServiceSpec>): ServiceSpec {
  const p = new Problems();
  const spec = buildServiceSpec(p, input);
  p.throwFirst();
  return spec;
}

/** Like validateServiceSpec, but reports every problem instead of throwing. */
export function checkServiceSpec(input: SpecInput<ServiceSpec>): Checked<ServiceSpec> {
  const p = new Problems();
  const spec = buildServiceSpec(p, input);
  return { spec, problems: p.list };
}

function buildServiceSpec(p: Problems, input: SpecInput<ServiceSpec>): ServiceSpec {
  const annotations = checkAnnotations(p, input.annotations, 'service');
  const mode = input.mode ?? ServiceMode.SERVICE_MODE_REPLICATED;
  checkEnum(p, 'mode', ServiceMode, mode);

  const replicated = mode === ServiceMode.SERVICE_MODE_REPLICATED || mode === ServiceMode.SERVICE_MODE_REPLICATED_JOB;
  let replicas = numberOr(input.replicas, replicated ? DEFAULT_REPLICAS : 0);
  // A replicated job decoded from the wire with replicas 0 means docker's default: one completion.
  if (mode === ServiceMode.SERVICE_MODE_REPLICATED_JOB && replicas === 0) replicas = DEFAULT_REPLICAS;
  if (!replicated) {
    // A decoded wire message always carries 0, so only a non-zero count is a mistake.
    if (replicas !== 0) p.add('replicas', `replicas is not allowed with ${modeName(mode)} mode (got ${replicas})`);
    replicas = 0;
  } else {
    checkInteger(p, 'replicas', replicas, 0);
  }
  // docker: --max-concurrent defaults to the number of completions.
  let maxConcurrent = numberOr(input.maxConcurrent, 0);
  if (mode === ServiceMode.SERVICE_MODE_REPLICATED_JOB) {
    checkInteger(p, 'maxConcurrent', maxConcurrent, 0);
    if (maxConcurrent === 0) maxConcurrent = replicas;
  } else if (maxConcurrent !== 0) {
    p.add('maxConcurrent', `maxConcurrent is only allowed with replicated-job mode (got ${maxConcurrent} with ${modeName(mode)} mode)`);
    maxConcurrent = 0;
  }
  const task = checkTaskSpec(p, input.task, 'task');
  // docker takes --replicas-max-per-node with replicated jobs too (their tasks are placed like replicas).
  if ((task.placement?.maxReplicas ?? 0) > 0 && mode !== ServiceMode.SERVICE_MODE_REPLICATED && mode !== ServiceMode.SERVICE_MODE_REPLICATED_JOB) {
    p.add('task.placement.maxReplicas', `task.placement.maxReplicas (--replicas-max-per-node) is only allowed with replicated or replicated-job mode, not ${modeName(mode)}`);
  }

  return {
    annotations,
    task,
    mode,
    replicas,
    maxConcurrent,
    update: checkUpdateConfig(p, input.update, 'update'),
    rollback: checkUpdateConfig(p, input.rollback, 'rollback'),
    endpoint: checkEndpoint(p, input.endpoint, 'endpoint'),
    dependsOn: checkDependencies(p, input.dependsOn ?? [], annotations.name),
  };
}

/** docker's word for a mode: replicated, global, replicated-job, global-job. */
export function modeName(mode: ServiceMode): string {
  switch (mode) {
    case ServiceMode.SERVICE_MODE_GLOBAL:
      return 'global';
    case ServiceMode.SERVICE_MODE_REPLICATED_JOB:
      return 'replicated-job';
    case ServiceMode.SERVICE_MODE_GLOBAL_JOB:
      return 'global-job';
    default:
      return 'replicated';
  }
}

/** Jobs run to completion: replicated-job and global-job. */
export function isJobMode(mode: ServiceMode | undefined): boolean {
  return mode === ServiceMode.SERVICE_MODE_REPLICATED_JOB || mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB;
}

function checkDependencies(p: Problems, inputs: ReadonlyArray<SpecInput<ServiceDependency>>, self: string): ServiceDependency[] {
  const seen = new Set<string>();
  return inputs.map((input, i) => {
    const at = `dependsOn[${i}]`;
    const dep: ServiceDependency = { service: input.service ?? '', condition: input.condition ?? DependencyCondition.DEPENDENCY_CONDITION_STARTED };
    checkEnum(p, `${at}.condition`, DependencyCondition, dep.condition);
    if (dep.service === '') p.add(`${at}.service`, `${at}.service must name a service`);
    else if (dep.service === self) p.add(`${at}.service`, `${at}: service ${self} cannot depend on itself`);
    else if (seen.has(dep.service)) p.add(`${at}.service`, `${at}: service ${dep.service} is listed twice`);
    seen.add(dep.service);
    return dep;
  });
}

/** Checks an object's name and labels; `kind` words the messages ("service name ..."). */
export function checkAnnotations(p: Problems, input: SpecInput<Annotations> | undefined, kind: string, nameRequired = true): Annotations {
  const name = input?.name ?? '';
  if (name !== '' || nameRequired) {
    const problem = nameProblem(kind, name);
    if (problem) p.add('annotations.name', problem);
  }
  return { name, labels: checkLabels(p, 'annotations.labels', input?.labels) };
}

function checkUpdateConfig(p: Problems, input: SpecInput<UpdateConfig> | undefined, path: string): UpdateConfig {
  const d = defaultUpdateConfig();
  const cfg: UpdateConfig = {
    parallelism: numberOr(input?.parallelism, d.parallelism),
    delayMs: numberOr(input?.delayMs, d.delayMs),
    failureAction: input?.failureAction ?? d.failureAction,
    monitorMs: numberOr(input?.monitorMs, d.monitorMs),
    maxFailureRatio: numberOr(input?.maxFailureRatio, d.maxFailureRatio),
    order: input?.order ?? d.order,
  };
  checkInteger(p, `${path}.parallelism`, cfg.parallelism, 0);
  checkDurationMs(p, `${path}.delayMs`, cfg.delayMs);
  checkEnum(p, `${path}.failureAction`, UpdateFailureAction, cfg.failureAction);
  checkDurationMs(p, `${path}.monitorMs`, cfg.monitorMs);
  if (!Number.isFinite(cfg.maxFailureRatio) || cfg.maxFailureRatio < 0 || cfg.maxFailureRatio > 1) {
    p.add(`${path}.maxFailureRatio`, `${path}.maxFailureRatio must be between 0 and 1 (got ${cfg.maxFailureRatio})`);
  }
  checkEnum(p, `${path}.order`, UpdateOrder, cfg.order);
  return cfg;
}

function checkEndpoint(p: Problems, input: SpecInput<EndpointSpec> | undefined, path: string): EndpointSpec {
  const mode = input?.mode ?? DEFAULT_ENDPOINT_MODE;
  checkEnum(p, `${path}.mode`, EndpointMode, mode);
  const published = new Map<string, number>();
  const ports = (input?.ports ?? []).map((port, i): PortConfig => {
    const at = `${path}.ports[${i}]`;
    const out: PortConfig = {
      name: port.name ?? '',
      protocol: port.protocol ?? PortProtocol.PORT_PROTOCOL_TCP,
      targetPort: numberOr(port.targetPort, 0),
      publishedPort: numberOr(port.publishedPort, 0),
      publishMode: port.publishMode ?? PublishMode.PUBLISH_MODE_INGRESS,
    };
    checkEnum(p, `${at}.protocol`, PortProtocol, out.protocol);
    checkEnum(p, `${at}.publishMode`, PublishMode, out.publishMode);
    if (!Number.isInteger(out.targetPort) || out.targetPort < 1 || out.targetPort > 65535) {
      p.add(`${at}.targetPort`, `${at}.targetPort must be between 1 and 65535 (got ${out.targetPort})`);
    }
    if (!Number.isInteger(out.publishedPort) || out.publishedPort < 0 || out.publishedPort > 65535) {
      p.add(`${at}.publishedPort`, `${at}.publishedPort must be between 1 and 65535, or 0 to pick one (got ${out.publishedPort})`);
    } else if (out.publishedPort !== 0) {
      // Unpublished (0) ports get distinct ports at allocation, so never clash.
      const key = `${out.publishedPort}/${protocolName(out.protocol)}`;
      const previous = published.get(key);
      if (previous !== undefined) p.add(`${at}.publishedPort`, `${at}: published port ${key} is already used by ${path}.ports[${previous}]`);
      else published.set(key, i);
    }
    // The routing mesh balances on a VIP; DNS round robin has none to balance on.
    if (mode === EndpointMode.ENDPOINT_MODE_DNSRR && out.publishMode === PublishMode.PUBLISH_MODE_INGRESS) {
      p.add(`${at}.publishMode`, `${at}: a port published in ingress mode cannot be used with dnsrr endpoint mode (publish it in host mode)`);
    }
    return out;
  });
  return { mode, ports };
}

function protocolName(protocol: PortProtocol): string {
  return protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp';
}
