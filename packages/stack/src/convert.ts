// The canonical model to the specs `DeployStack` carries: every object named <stack>_<key> (unless
// the file names it) and labelled io.flotilla.stack.namespace=<stack>; services reach each other by
// their short name (an alias on every network, as docker's stack deploy does).
import {
  DependencyCondition,
  EndpointMode,
  MountType,
  parseDuration,
  PortProtocol,
  PublishMode,
  RestartCondition,
  ServiceMode,
  UpdateFailureAction,
  UpdateOrder,
  ResolveImage,
  checkServiceSpec,
  type ConfigSpec,
  type DeployStackRequest,
  type NetworkSpec,
  type SecretSpec,
  type ServiceSpec,
  type SpecInput,
  type UpdateConfig,
} from '@flotilla/api';
import { StackFileError } from './errors.js';
import type { ComposeModel, DependencyModel, ServiceModel, UpdateModel } from './model.js';

/** The label every object of a stack carries. */
export const STACK_NAMESPACE_LABEL = 'io.flotilla.stack.namespace';

export interface ConvertOptions {
  /** Reads a secret's or config's file (the CLI reads the disk). */
  readBytes(path: string): Buffer;
}

const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));

export function convertUpdate(u: UpdateModel | undefined): SpecInput<UpdateConfig> | undefined {
  if (!u) return undefined;
  const out: SpecInput<UpdateConfig> = {};
  if (u.parallelism !== undefined) out.parallelism = u.parallelism;
  if (u.delay !== undefined) out.delayMs = ms(u.delay);
  if (u.monitor !== undefined) out.monitorMs = ms(u.monitor);
  if (u.max_failure_ratio !== undefined) out.maxFailureRatio = u.max_failure_ratio;
  if (u.failure_action !== undefined) {
    out.failureAction =
      u.failure_action === 'continue'
        ? UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE
        : u.failure_action === 'rollback'
          ? UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK
          : UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE;
  }
  if (u.order !== undefined) out.order = u.order === 'start-first' ? UpdateOrder.UPDATE_ORDER_START_FIRST : UpdateOrder.UPDATE_ORDER_STOP_FIRST;
  return out;
}

const CONDITION: Record<DependencyModel['condition'], DependencyCondition> = {
  service_started: DependencyCondition.DEPENDENCY_CONDITION_STARTED,
  service_healthy: DependencyCondition.DEPENDENCY_CONDITION_HEALTHY,
  service_completed_successfully: DependencyCondition.DEPENDENCY_CONDITION_COMPLETED,
};

/** One compose service as a ServiceSpec (not yet validated: the caller runs validateServiceSpec). */
export function convertService(model: ComposeModel, key: string, s: ServiceModel): SpecInput<ServiceSpec> {
  const ns = model.name;
  const full = (name: string) => `${ns}_${name}`;
  const d = s.deploy ?? {};
  const env = Object.entries(s.environment ?? {})
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const limits = d.resources?.limits;
  const reservations = d.resources?.reservations;
  const restart = d.restart_policy;
  const health = s.healthcheck;
  const global = d.mode === 'global';
  return {
    annotations: { name: full(key), labels: { ...(d.labels ?? {}), [STACK_NAMESPACE_LABEL]: ns } },
    mode: global ? ServiceMode.SERVICE_MODE_GLOBAL : ServiceMode.SERVICE_MODE_REPLICATED,
    ...(global ? {} : { replicas: d.replicas ?? 1 }),
    task: {
      container: {
        image: s.image ?? '',
        command: s.entrypoint ?? [],
        args: s.command ?? [],
        env,
        labels: { ...(s.labels ?? {}), [STACK_NAMESPACE_LABEL]: ns },
        dir: s.working_dir ?? '',
        user: s.user ?? '',
        hostname: s.hostname ?? '',
        mounts: (s.volumes ?? []).map((m) => ({
          type: m.type === 'bind' ? MountType.MOUNT_TYPE_BIND : m.type === 'tmpfs' ? MountType.MOUNT_TYPE_TMPFS : MountType.MOUNT_TYPE_VOLUME,
          source: m.type === 'volume' && m.source !== undefined ? (model.volumes[m.source]?.name ?? m.source) : (m.source ?? ''),
          target: m.target,
          readOnly: m.read_only ?? false,
        })),
        ...(s.stop_grace_period !== undefined ? { stopGracePeriodMs: ms(s.stop_grace_period), hasStopGracePeriod: true } : {}),
        ...(health
          ? {
              healthcheck: {
                test: health.test ?? [],
                intervalMs: ms(health.interval) ?? 0,
                timeoutMs: ms(health.timeout) ?? 0,
                retries: health.retries ?? 0,
                startPeriodMs: ms(health.start_period) ?? 0,
              },
            }
          : {}),
        secrets: (s.secrets ?? []).map((r) => ({
          secretName: model.secrets[r.source]?.name ?? r.source,
          target: r.target ?? r.source,
          uid: r.uid ?? '',
          gid: r.gid ?? '',
          ...(r.mode !== undefined ? { mode: r.mode } : {}),
        })),
        configs: (s.configs ?? []).map((r) => ({
          configName: model.configs[r.source]?.name ?? r.source,
          target: r.target ?? `/${r.source}`,
          uid: r.uid ?? '',
          gid: r.gid ?? '',
          ...(r.mode !== undefined ? { mode: r.mode } : {}),
        })),
        init: s.init ?? false,
        readOnly: s.read_only ?? false,
        capAdd: s.cap_add ?? [],
        capDrop: s.cap_drop ?? [],
        sysctls: s.sysctls ?? {},
        ulimits: Object.entries(s.ulimits ?? {}).map(([name, v]) => (typeof v === 'number' ? { name, soft: v, hard: v } : { name, soft: v.soft, hard: v.hard })),
        // docker writes "HOST:IP" as the hosts-file line "IP HOST".
        hosts: (s.extra_hosts ?? []).map((h) => {
          const i = h.search(/[:=]/);
          return `${h.slice(i + 1)} ${h.slice(0, i)}`;
        }),
        stopSignal: s.stop_signal ?? '',
        tty: s.tty ?? false,
        openStdin: s.stdin_open ?? false,
      },
      ...(s.logging?.driver || s.logging?.options ? { logDriver: { name: s.logging.driver ?? '', options: s.logging.options ?? {} } } : {}),
      resources: {
        limits: { nanoCpus: Math.round((limits?.cpus ?? 0) * 1e9), memoryBytes: Number(limits?.memory ?? 0) },
        reservations: { nanoCpus: Math.round((reservations?.cpus ?? 0) * 1e9), memoryBytes: Number(reservations?.memory ?? 0) },
      },
      ...(restart
        ? {
            restart: {
              condition:
                restart.condition === 'none'
                  ? RestartCondition.RESTART_CONDITION_NONE
                  : restart.condition === 'on-failure'
                    ? RestartCondition.RESTART_CONDITION_ON_FAILURE
                    : RestartCondition.RESTART_CONDITION_ANY,
              ...(restart.delay !== undefined ? { delayMs: ms(restart.delay) } : {}),
              ...(restart.max_attempts !== undefined ? { maxAttempts: restart.max_attempts } : {}),
              ...(restart.window !== undefined ? { windowMs: ms(restart.window) } : {}),
            },
          }
        : {}),
      placement: { constraints: d.placement?.constraints ?? [] },
      networks: Object.entries(s.networks)
        .map(([net, cfg]) => ({ target: model.networks[net]?.name ?? full(net), aliases: [...(cfg?.aliases ?? []), key] }))
        .sort((a, b) => a.target.localeCompare(b.target)),
    },
    ...(convertUpdate(d.update_config) ? { update: convertUpdate(d.update_config) } : {}),
    ...(convertUpdate(d.rollback_config) ? { rollback: convertUpdate(d.rollback_config) } : {}),
    endpoint: {
      mode: d.endpoint_mode === 'dnsrr' ? EndpointMode.ENDPOINT_MODE_DNSRR : EndpointMode.ENDPOINT_MODE_VIP,
      ports: (s.ports ?? []).map((p) => ({
        protocol: p.protocol === 'udp' ? PortProtocol.PORT_PROTOCOL_UDP : PortProtocol.PORT_PROTOCOL_TCP,
        targetPort: p.target,
        publishedPort: p.published ? Number(p.published) : 0,
        publishMode: p.mode === 'host' ? PublishMode.PUBLISH_MODE_HOST : PublishMode.PUBLISH_MODE_INGRESS,
      })),
    },
    dependsOn: Object.entries(s.depends_on ?? {}).map(([dep, cfg]) => ({ service: full(dep), condition: CONDITION[cfg.condition] })),
  };
}

/** Services so that each comes after what it depends on (ties by name): the order they are written and shown. */
export function creationOrder(services: Record<string, Pick<ServiceModel, 'depends_on'>>): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: Set<string>): void => {
    if (done.has(name) || path.has(name) || !services[name]) return;
    path.add(name);
    for (const dep of Object.keys(services[name]?.depends_on ?? {}).sort()) visit(dep, path);
    path.delete(name);
    done.add(name);
    out.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, new Set());
  return out;
}

/**
 * The whole stack as one DeployStack request (files of secrets and configs read through `o`),
 * each service checked with the api's validator (defaults filled in); `problems` say what the
 * validator refused, by service key.
 */
export function convertStack(model: ComposeModel, o: ConvertOptions): { request: DeployStackRequest; problems: StackFileError[] } {
  const problems: StackFileError[] = [];
  const ns = model.name;
  const withLabel = (labels: Record<string, string> | undefined) => ({ ...(labels ?? {}), [STACK_NAMESPACE_LABEL]: ns });
  const used = (kind: 'networks' | 'secrets' | 'configs', key: string) =>
    Object.values(model.services).some((s) => (kind === 'networks' ? key in s.networks : (s[kind] ?? []).some((r) => r.source === key)));
  const networks: NetworkSpec[] = [];
  const externalNetworks: string[] = [];
  for (const [key, n] of Object.entries(model.networks).sort(([a], [b]) => a.localeCompare(b))) {
    if (!used('networks', key)) continue;
    if (n.external) externalNetworks.push(n.name);
    else
      networks.push({
        annotations: { name: n.name, labels: withLabel(n.labels) },
        driver: 'overlay',
        ipam: (n.ipam?.config ?? []).map((c) => ({ subnet: c.subnet, gateway: '', range: '' })),
        attachable: n.attachable ?? false,
        internal: n.internal ?? false,
        ingress: false,
      });
  }
  const files = (kind: 'secrets' | 'configs') => {
    const specs: Array<SecretSpec & ConfigSpec> = [];
    const external: string[] = [];
    for (const [key, f] of Object.entries(model[kind]).sort(([a], [b]) => a.localeCompare(b))) {
      if (!used(kind, key)) continue;
      if (f.external) external.push(f.name);
      else {
        let data: Buffer = Buffer.alloc(0);
        try {
          data = o.readBytes(f.file ?? '');
        } catch (err) {
          problems.push(new StackFileError(`${kind}.${key}.file`, `reading ${f.file}: ${(err as Error).message}`));
        }
        specs.push({ annotations: { name: f.name, labels: withLabel(f.labels) }, data });
      }
    }
    return { specs, external };
  };
  const secrets = files('secrets');
  const configs = files('configs');
  const services: ServiceSpec[] = creationOrder(model.services).map((key) => {
    const checked = checkServiceSpec(convertService(model, key, model.services[key]!));
    for (const p of checked.problems) problems.push(new StackFileError(`services.${key}`, p.message));
    return checked.spec;
  });
  const request: DeployStackRequest = {
    namespace: ns,
    networks,
    configs: configs.specs,
    secrets: secrets.specs,
    services,
    externalNetworks,
    externalConfigs: configs.external,
    externalSecrets: secrets.external,
    prune: false,
    resolveImage: ResolveImage.RESOLVE_IMAGE_ALWAYS,
  };
  return { request, problems };
}
