// From a merged, validated compose tree to the canonical model (src/model.ts): short forms
// expanded, durations and sizes checked, references to networks, volumes, secrets, configs and
// services resolved. Problems are collected (never thrown one by one) so the user sees them all.
import { posix } from 'node:path';
import { formatDuration, parseConstraint, parseDuration, parseMemoryBytes, parseNanoCpus, parsePublish, PortProtocol, PublishMode, SpecError } from '@flotilla/api';
import { parseEnvFile } from './env-file.js';
import type { StackFileError } from './errors.js';
import type { Environment } from './interpolate.js';
import { asMapping } from './merge.js';
import type { ComposeModel, DependencyModel, DeployModel, FileObjectModel, FileRefModel, HealthModel, MountModel, NetworkModel, PortModel, ServiceModel, UpdateModel, VolumeModel } from './model.js';
import { splitShellWords } from './shell-words.js';
import type { Path } from './source.js';
import type { Where } from './validate.js';

type Tree = Record<string, unknown>;

export interface NormalizeOptions {
  /** The stack (project) name: objects are named <name>_<key>. */
  name: string;
  /** Directory of the first compose file: relative paths are taken from it. */
  baseDir: string;
  /** The variables `environment: [FOO]` entries take their value from. */
  env: Environment;
  /** Reads an env_file (the CLI reads the disk; tests pass a map). */
  readText(path: string): string;
  where: Where;
}

const isObj = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
const scalarText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));

export function normalizeCompose(tree: Tree, o: NormalizeOptions): { model: ComposeModel; problems: StackFileError[] } {
  const problems: StackFileError[] = [];
  const bad = (path: Path, reason: string) => problems.push(o.where(path, reason));
  const ns = (key: string) => `${o.name}_${key}`;
  const abs = (p: string) => (posix.isAbsolute(p) ? posix.normalize(p) : posix.join(o.baseDir, p.startsWith('~') ? p.slice(1) : p));

  const duration = (v: unknown, path: Path): string | undefined => {
    if (v === undefined) return undefined;
    try {
      const ms = parseDuration(str(v));
      if (ms < 0) throw new SpecError('', `a duration must not be negative (got ${str(v)})`);
      return formatDuration(ms);
    } catch (err) {
      bad(path, (err as Error).message);
      return undefined;
    }
  };

  const labels = (v: unknown): Record<string, string> | undefined => {
    if (v === undefined) return undefined;
    const m = asMapping(v);
    return Object.fromEntries(Object.entries(m).map(([k, val]) => [k, scalarText(val)]));
  };

  // Top-level objects first: services refer to them.
  const networks: Record<string, NetworkModel> = {};
  for (const [key, raw] of Object.entries(isObj(tree['networks']) ? tree['networks'] : {})) {
    const n = isObj(raw) ? raw : {};
    const at = ['networks', key];
    const ext = n['external'];
    const external = ext === true || isObj(ext);
    const name = isObj(ext) && typeof ext['name'] === 'string' ? ext['name'] : typeof n['name'] === 'string' ? n['name'] : external ? key : ns(key);
    const model: NetworkModel = { name };
    if (external) {
      model.external = true;
      for (const k of ['driver', 'driver_opts', 'ipam', 'internal', 'attachable', 'labels']) if (n[k] !== undefined) bad([...at, k], `network ${key} is external: ${k} cannot be set`);
    } else {
      if (n['driver'] !== undefined) {
        model.driver = str(n['driver']);
        if (model.driver !== 'overlay') bad([...at, 'driver'], `not supported yet: network driver ${JSON.stringify(model.driver)} (stack networks are overlay networks)`);
      }
      if (isObj(n['driver_opts']) && Object.keys(n['driver_opts']).length > 0) {
        bad([...at, 'driver_opts'], `not supported yet: network driver options (${Object.keys(n['driver_opts']).join(', ')})`);
      }
      if (n['internal'] === true) model.internal = true;
      if (n['attachable'] === true) model.attachable = true;
      const ipam = isObj(n['ipam']) ? n['ipam'] : undefined;
      if (ipam?.['driver'] !== undefined && ipam['driver'] !== 'default') bad([...at, 'ipam', 'driver'], `not supported yet: IPAM driver ${JSON.stringify(ipam['driver'])}`);
      if (Array.isArray(ipam?.['config'])) model.ipam = { config: (ipam['config'] as Tree[]).map((c) => ({ subnet: str(c['subnet'] ?? '') })) };
      const l = labels(n['labels']);
      if (l) model.labels = l;
    }
    networks[key] = model;
  }

  const volumes: Record<string, VolumeModel> = {};
  for (const [key, raw] of Object.entries(isObj(tree['volumes']) ? tree['volumes'] : {})) {
    const v = isObj(raw) ? raw : {};
    const at = ['volumes', key];
    const ext = v['external'];
    const external = ext === true || isObj(ext);
    const name = isObj(ext) && typeof ext['name'] === 'string' ? ext['name'] : typeof v['name'] === 'string' ? v['name'] : external ? key : ns(key);
    const model: VolumeModel = { name };
    if (external) model.external = true;
    if (v['driver'] !== undefined && v['driver'] !== 'local') bad([...at, 'driver'], `not supported yet: volume driver ${JSON.stringify(v['driver'])} (volumes are local to each node)`);
    if (isObj(v['driver_opts']) && Object.keys(v['driver_opts']).length > 0) bad([...at, 'driver_opts'], 'not supported yet: volume driver options');
    const l = labels(v['labels']);
    if (l) model.labels = l;
    volumes[key] = model;
  }

  const fileObjects = (kind: 'secrets' | 'configs'): Record<string, FileObjectModel> => {
    const out: Record<string, FileObjectModel> = {};
    for (const [key, raw] of Object.entries(isObj(tree[kind]) ? tree[kind] : {})) {
      const v = isObj(raw) ? raw : {};
      const at = [kind, key];
      const ext = v['external'];
      const external = ext === true || isObj(ext);
      const name = isObj(ext) && typeof ext['name'] === 'string' ? ext['name'] : typeof v['name'] === 'string' ? v['name'] : external ? key : ns(key);
      const model: FileObjectModel = { name };
      if (external) {
        model.external = true;
        if (v['file'] !== undefined) bad([...at, 'file'], `${kind.slice(0, -1)} ${key} is external: file cannot be set`);
      } else if (typeof v['file'] === 'string') model.file = abs(v['file']);
      else bad(at, `${kind.slice(0, -1)} ${key} needs "file" or "external"`);
      const l = labels(v['labels']);
      if (l) model.labels = l;
      out[key] = model;
    }
    return out;
  };
  const secrets = fileObjects('secrets');
  const configs = fileObjects('configs');

  const services: Record<string, ServiceModel> = {};
  const serviceTree = isObj(tree['services']) ? tree['services'] : {};
  for (const [name, raw] of Object.entries(serviceTree)) {
    const s = isObj(raw) ? raw : {};
    const at = (...rest: Array<string | number>): Path => ['services', name, ...rest];
    const out: ServiceModel = { networks: {} };
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) bad(at(), `service name ${JSON.stringify(name)} may only hold letters, digits, "_", "." and "-"`);

    if (typeof s['image'] === 'string' && s['image'] !== '') out.image = s['image'];
    else bad(at('image'), `service ${name} has no image (a stack cannot build one: give "image")`);

    for (const key of ['command', 'entrypoint'] as const) {
      const v = s[key];
      if (v === undefined) continue;
      if (Array.isArray(v)) out[key] = v.map(str);
      else {
        try {
          out[key] = splitShellWords(str(v));
        } catch (err) {
          bad(at(key), (err as Error).message);
        }
      }
    }

    // env_file first, then environment over it; a key without a value takes the caller's.
    const environment: Record<string, string | null> = {};
    const envFiles = s['env_file'] === undefined ? [] : Array.isArray(s['env_file']) ? s['env_file'].map(str) : [str(s['env_file'])];
    envFiles.forEach((file, i) => {
      const path = abs(file);
      try {
        for (const [k, v] of parseEnvFile(o.readText(path))) environment[k] = v ?? o.env[k] ?? null;
      } catch (err) {
        bad(Array.isArray(s['env_file']) ? at('env_file', i) : at('env_file'), `env file ${path}: ${(err as Error).message}`);
      }
    });
    for (const [k, v] of Object.entries(asMapping(s['environment']))) environment[k] = v === null ? (o.env[k] ?? null) : scalarText(v);
    if (Object.keys(environment).length > 0) out.environment = environment;

    const l = labels(s['labels']);
    if (l) out.labels = l;

    if (Array.isArray(s['ports'])) out.ports = s['ports'].flatMap((p, i) => normalizePort(p, at('ports', i), bad));

    // Networks: default when none is given, every other one must be declared.
    const nets = s['networks'] === undefined ? { default: null } : asMapping(s['networks']);
    for (const [net, cfg] of Object.entries(nets)) {
      if (net !== 'default' && !networks[net]) bad(at('networks', net), `service "${name}" refers to undefined network ${net}`);
      const aliases = isObj(cfg) && Array.isArray(cfg['aliases']) ? cfg['aliases'].map(str) : undefined;
      out.networks[net] = aliases ? { aliases } : null;
    }

    if (Array.isArray(s['volumes'])) out.volumes = s['volumes'].map((v, i) => normalizeMount(v, at('volumes', i), name, volumes, abs, bad));

    for (const kind of ['secrets', 'configs'] as const) {
      if (!Array.isArray(s[kind])) continue;
      const declared = kind === 'secrets' ? secrets : configs;
      out[kind] = s[kind].map((r, i): FileRefModel => {
        const ref: FileRefModel = isObj(r) ? { source: str(r['source'] ?? '') } : { source: str(r) };
        if (isObj(r)) {
          if (r['target'] !== undefined) ref.target = str(r['target']);
          if (r['uid'] !== undefined) ref.uid = str(r['uid']);
          if (r['gid'] !== undefined) ref.gid = str(r['gid']);
          if (r['mode'] !== undefined) ref.mode = Number(r['mode']);
        }
        if (ref.source === '') bad(at(kind, i), `${kind.slice(0, -1)} reference needs a source`);
        else if (!declared[ref.source]) bad(at(kind, i), `service "${name}" refers to undefined ${kind.slice(0, -1)} ${ref.source}`);
        return ref;
      });
    }

    if (isObj(s['healthcheck'])) out.healthcheck = normalizeHealth(s['healthcheck'], at('healthcheck'), duration, bad);
    const grace = duration(s['stop_grace_period'], at('stop_grace_period'));
    if (grace) out.stop_grace_period = grace;
    for (const key of ['stop_signal', 'user', 'working_dir', 'hostname'] as const) if (typeof s[key] === 'string') out[key] = s[key] as string;
    if (out.working_dir !== undefined && !out.working_dir.startsWith('/')) bad(at('working_dir'), `working_dir must be an absolute path (got ${JSON.stringify(out.working_dir)})`);
    for (const key of ['init', 'read_only', 'tty', 'stdin_open'] as const) if (typeof s[key] === 'boolean') out[key] = s[key] as boolean;
    for (const key of ['cap_add', 'cap_drop'] as const) if (Array.isArray(s[key])) out[key] = (s[key] as unknown[]).map(str);
    const sysctls = labels(s['sysctls']);
    if (sysctls) out.sysctls = sysctls;
    if (isObj(s['ulimits'])) {
      out.ulimits = {};
      for (const [k, v] of Object.entries(s['ulimits'])) out.ulimits[k] = isObj(v) ? { soft: Number(v['soft'] ?? 0), hard: Number(v['hard'] ?? 0) } : Number(v);
    }
    if (s['extra_hosts'] !== undefined) {
      const hosts = Array.isArray(s['extra_hosts']) ? s['extra_hosts'].map(str) : Object.entries(asMapping(s['extra_hosts'])).map(([h, ip]) => `${h}:${scalarText(ip)}`);
      out.extra_hosts = hosts;
      hosts.forEach((h, i) => {
        if (!/^[^:\s]+[:=]\S+$/.test(h)) bad(at('extra_hosts', i), `extra host ${JSON.stringify(h)} must look like HOSTNAME:IP`);
      });
    }
    if (isObj(s['logging'])) {
      const lg = s['logging'];
      out.logging = {};
      if (typeof lg['driver'] === 'string') out.logging.driver = lg['driver'];
      if (isObj(lg['options'])) out.logging.options = Object.fromEntries(Object.entries(lg['options']).map(([k, v]) => [k, scalarText(v)]));
    }
    if (s['depends_on'] !== undefined) out.depends_on = normalizeDepends(s['depends_on'], at('depends_on'), name, serviceTree, bad);
    if (isObj(s['deploy'])) out.deploy = normalizeDeploy(s['deploy'], at('deploy'), duration, labels, bad);
    services[name] = out;
  }

  // The default network exists when a service uses it.
  if (Object.values(services).some((s) => 'default' in s.networks) && !networks['default']) networks['default'] = { name: ns('default') };

  for (const cycle of dependencyCycles(services)) bad(['services', cycle[0]!, 'depends_on'], `dependency cycle: ${cycle.join(' -> ')}`);
  checkStackPorts(services, bad);

  return { model: { name: o.name, services, networks, volumes, secrets, configs }, problems };
}

function normalizePort(p: unknown, path: Path, bad: (path: Path, reason: string) => void): PortModel[] {
  if (isObj(p)) {
    const mode = str(p['mode'] ?? 'ingress');
    const protocol = str(p['protocol'] ?? 'tcp');
    if (mode !== 'ingress' && mode !== 'host') bad([...path, 'mode'], `port mode must be "ingress" or "host" (got ${JSON.stringify(mode)})`);
    if (protocol !== 'tcp' && protocol !== 'udp') bad([...path, 'protocol'], `port protocol must be "tcp" or "udp" (got ${JSON.stringify(protocol)})`);
    const target = Number(p['target']);
    if (!Number.isInteger(target) || target < 1 || target > 65535) bad([...path, 'target'], `target port must be between 1 and 65535 (got ${str(p['target'])})`);
    const out: PortModel = { mode: mode === 'host' ? 'host' : 'ingress', target, protocol: protocol === 'udp' ? 'udp' : 'tcp' };
    if (p['published'] !== undefined) {
      const published = Number(p['published']);
      if (!Number.isInteger(published) || published < 1 || published > 65535) bad([...path, 'published'], `published port must be between 1 and 65535 (got ${str(p['published'])})`);
      out.published = String(published);
    }
    return [out];
  }
  try {
    return parsePublish(str(p)).map((c) => ({
      mode: c.publishMode === PublishMode.PUBLISH_MODE_HOST ? 'host' : 'ingress',
      target: c.targetPort,
      ...(c.publishedPort ? { published: String(c.publishedPort) } : {}),
      protocol: c.protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp',
    }));
  } catch (err) {
    bad(path, (err as Error).message);
    return [];
  }
}

function normalizeMount(
  v: unknown,
  path: Path,
  service: string,
  volumes: Record<string, VolumeModel>,
  abs: (p: string) => string,
  bad: (path: Path, reason: string) => void,
): MountModel {
  const named = (source: string, at: Path): string => {
    const vol = volumes[source];
    if (!vol) bad(at, `service "${service}" refers to undefined volume ${source}`);
    return source;
  };
  if (isObj(v)) {
    const type = str(v['type'] ?? 'volume');
    if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') bad([...path, 'type'], `not supported yet: mount type ${JSON.stringify(type)} (volume, bind or tmpfs)`);
    const target = str(v['target'] ?? '');
    if (!target.startsWith('/')) bad([...path, 'target'], `mount target must be an absolute path (got ${JSON.stringify(target)})`);
    const out: MountModel = { type: type as MountModel['type'], target };
    const source = v['source'] === undefined ? undefined : str(v['source']);
    if (type === 'bind') {
      if (!source) bad([...path, 'source'], 'a bind mount needs a source');
      else out.source = abs(source);
    } else if (type === 'volume' && source) out.source = named(source, [...path, 'source']);
    else if (type === 'tmpfs' && source) bad([...path, 'source'], 'a tmpfs mount takes no source');
    if (v['read_only'] === true) out.read_only = true;
    return out;
  }
  const parts = str(v).split(':');
  if (parts.length === 1) {
    if (!parts[0]!.startsWith('/')) bad(path, `volume ${JSON.stringify(str(v))}: a target must be an absolute path`);
    return { type: 'volume', target: parts[0]! };
  }
  if (parts.length > 3) {
    bad(path, `invalid volume specification ${JSON.stringify(str(v))} (source:target[:mode])`);
    return { type: 'volume', target: '' };
  }
  const [source = '', target = '', mode = 'rw'] = parts;
  if (!target.startsWith('/')) bad(path, `volume ${JSON.stringify(str(v))}: the target must be an absolute path`);
  const opts = mode.split(',');
  for (const opt of opts) if (!['ro', 'rw', 'z', 'Z', 'cached', 'delegated', 'consistent'].includes(opt)) bad(path, `not supported yet: volume option ${JSON.stringify(opt)}`);
  const isPath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  const out: MountModel = isPath ? { type: 'bind', source: abs(source), target } : { type: 'volume', source: named(source, path), target };
  if (opts.includes('ro')) out.read_only = true;
  return out;
}

function normalizeHealth(h: Tree, path: Path, duration: (v: unknown, p: Path) => string | undefined, bad: (path: Path, reason: string) => void): HealthModel {
  const out: HealthModel = {};
  if (h['disable'] === true) {
    if (h['test'] !== undefined) bad([...path, 'test'], 'healthcheck.disable cannot be combined with test');
    return { disable: true, test: ['NONE'] };
  }
  const test = h['test'];
  if (typeof test === 'string') out.test = ['CMD-SHELL', test];
  else if (Array.isArray(test)) {
    out.test = test.map(str);
    const kind = out.test[0];
    if (kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') bad([...path, 'test'], `healthcheck.test must start with "NONE", "CMD" or "CMD-SHELL" (got ${JSON.stringify(kind ?? '')})`);
  }
  for (const key of ['interval', 'timeout', 'start_period'] as const) {
    const d = duration(h[key], [...path, key]);
    if (d) out[key] = d;
  }
  if (h['retries'] !== undefined) {
    const retries = Number(h['retries']);
    if (!Number.isInteger(retries) || retries < 0) bad([...path, 'retries'], `healthcheck.retries must be a whole number >= 0 (got ${str(h['retries'])})`);
    out.retries = retries;
  }
  return out;
}

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;

function normalizeDepends(v: unknown, path: Path, service: string, all: Tree, bad: (path: Path, reason: string) => void): Record<string, DependencyModel> {
  const out: Record<string, DependencyModel> = {};
  const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((n) => [str(n), null]) : Object.entries(isObj(v) ? v : {});
  for (const [dep, cfg] of entries) {
    const at = [...path, dep];
    const condition = isObj(cfg) && cfg['condition'] !== undefined ? str(cfg['condition']) : 'service_started';
    if (!(CONDITIONS as readonly string[]).includes(condition)) bad([...at, 'condition'], `depends_on condition must be one of ${CONDITIONS.join(', ')} (got ${JSON.stringify(condition)})`);
    if (dep === service) bad(at, `service "${service}" cannot depend on itself`);
    else if (!(dep in all)) bad(at, `service "${service}" depends on undefined service ${dep}`);
    const required = isObj(cfg) && cfg['required'] === false ? false : true;
    if (!required) bad([...at, 'required'], 'not supported yet: an optional dependency (required: false)');
    if (isObj(cfg) && cfg['restart'] !== undefined) bad([...at, 'restart'], 'not supported yet: restarting a service with its dependency (depends_on.restart)');
    out[dep] = { condition: condition as DependencyModel['condition'], required };
  }
  return out;
}

function normalizeUpdate(u: Tree, path: Path, duration: (v: unknown, p: Path) => string | undefined, bad: (path: Path, reason: string) => void): UpdateModel {
  const out: UpdateModel = {};
  if (u['parallelism'] !== undefined) out.parallelism = Number(u['parallelism']);
  if (out.parallelism !== undefined && out.parallelism < 0) bad([...path, 'parallelism'], `parallelism must be >= 0 (got ${out.parallelism})`);
  for (const key of ['delay', 'monitor'] as const) {
    const d = duration(u[key], [...path, key]);
    if (d) out[key] = d;
  }
  if (u['failure_action'] !== undefined) {
    out.failure_action = str(u['failure_action']);
    if (!['continue', 'rollback', 'pause'].includes(out.failure_action)) bad([...path, 'failure_action'], `failure_action must be continue, rollback or pause (got ${JSON.stringify(out.failure_action)})`);
  }
  if (u['max_failure_ratio'] !== undefined) {
    out.max_failure_ratio = Number(u['max_failure_ratio']);
    if (!(out.max_failure_ratio >= 0 && out.max_failure_ratio <= 1)) bad([...path, 'max_failure_ratio'], `max_failure_ratio must be between 0 and 1 (got ${out.max_failure_ratio})`);
  }
  if (u['order'] !== undefined) {
    out.order = str(u['order']);
    if (out.order !== 'start-first' && out.order !== 'stop-first') bad([...path, 'order'], `order must be start-first or stop-first (got ${JSON.stringify(out.order)})`);
  }
  return out;
}

function normalizeDeploy(
  d: Tree,
  path: Path,
  duration: (v: unknown, p: Path) => string | undefined,
  labels: (v: unknown) => Record<string, string> | undefined,
  bad: (path: Path, reason: string) => void,
): DeployModel {
  const out: DeployModel = {};
  if (d['mode'] !== undefined) {
    out.mode = str(d['mode']);
    if (out.mode !== 'replicated' && out.mode !== 'global') bad([...path, 'mode'], `not supported yet: deploy mode ${JSON.stringify(out.mode)} (replicated or global)`);
  }
  if (d['replicas'] !== undefined) {
    out.replicas = Number(d['replicas']);
    if (out.replicas < 0) bad([...path, 'replicas'], `replicas must be >= 0 (got ${out.replicas})`);
    if (out.mode === 'global') bad([...path, 'replicas'], 'replicas cannot be set for a global service');
  }
  const l = labels(d['labels']);
  if (l) out.labels = l;
  for (const key of ['update_config', 'rollback_config'] as const) if (isObj(d[key])) out[key] = normalizeUpdate(d[key] as Tree, [...path, key], duration, bad);
  if (isObj(d['resources'])) {
    out.resources = {};
    for (const kind of ['limits', 'reservations'] as const) {
      const r = (d['resources'] as Tree)[kind];
      if (!isObj(r)) continue;
      const set: { cpus?: number; memory?: string } = {};
      if (r['cpus'] !== undefined) {
        try {
          set.cpus = parseNanoCpus(str(r['cpus'])) / 1e9;
        } catch (err) {
          bad([...path, 'resources', kind, 'cpus'], (err as Error).message);
        }
      }
      if (r['memory'] !== undefined) {
        try {
          set.memory = String(parseMemoryBytes(str(r['memory'])));
        } catch (err) {
          bad([...path, 'resources', kind, 'memory'], (err as Error).message);
        }
      }
      out.resources[kind] = set;
    }
  }
  if (isObj(d['restart_policy'])) {
    const r = d['restart_policy'];
    const policy: NonNullable<DeployModel['restart_policy']> = {};
    if (r['condition'] !== undefined) {
      policy.condition = str(r['condition']);
      if (!['none', 'on-failure', 'any'].includes(policy.condition)) bad([...path, 'restart_policy', 'condition'], `restart_policy.condition must be none, on-failure or any (got ${JSON.stringify(policy.condition)})`);
    }
    const delay = duration(r['delay'], [...path, 'restart_policy', 'delay']);
    if (delay) policy.delay = delay;
    if (r['max_attempts'] !== undefined) policy.max_attempts = Number(r['max_attempts']);
    const window = duration(r['window'], [...path, 'restart_policy', 'window']);
    if (window) policy.window = window;
    out.restart_policy = policy;
  }
  if (isObj(d['placement']) && Array.isArray(d['placement']['constraints'])) {
    const constraints = (d['placement']['constraints'] as unknown[]).map(str);
    constraints.forEach((c, i) => {
      try {
        parseConstraint(c);
      } catch (err) {
        bad([...path, 'placement', 'constraints', i], (err as Error).message);
      }
    });
    out.placement = { constraints };
  }
  if (d['endpoint_mode'] !== undefined) {
    out.endpoint_mode = str(d['endpoint_mode']);
    if (out.endpoint_mode !== 'vip' && out.endpoint_mode !== 'dnsrr') bad([...path, 'endpoint_mode'], `endpoint_mode must be vip or dnsrr (got ${JSON.stringify(out.endpoint_mode)})`);
  }
  return out;
}

/** Each dependency cycle once, as the names along it ending where it began. */
export function dependencyCycles(services: Record<string, Pick<ServiceModel, 'depends_on'>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) {
      if (!services[dep]) continue;
      if (state.get(dep) === 'visiting') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(services).sort()) if (!state.has(name)) visit(name);
  return cycles;
}

/** Two services of one stack publishing the same port (ingress) is a conflict the file alone shows. */
function checkStackPorts(services: Record<string, ServiceModel>, bad: (path: Path, reason: string) => void): void {
  const used = new Map<string, string>();
  for (const [name, s] of Object.entries(services)) {
    (s.ports ?? []).forEach((p, i) => {
      if (!p.published || p.mode === 'host') return;
      const key = `${p.published}/${p.protocol}`;
      const other = used.get(key);
      if (other !== undefined && other !== name) bad(['services', name, 'ports', i], `port ${key} is already published by service ${other}`);
      else used.set(key, name);
    });
  }
}
