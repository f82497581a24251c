// What a compose file 3.0-3.9 may hold, per key: its type, the format version that brought it,
// and what a swarm stack does with it (use it, ignore it like docker, or refuse it as not
// supported yet). Checked before anything is normalised, so type errors name the key as written.

export type Schema =
  | { k: 'str' }
  | { k: 'int' }
  | { k: 'num' }
  | { k: 'bool' }
  | { k: 'scalar' } // string, number or boolean (label values, env values)
  | { k: 'null' }
  | { k: 'any' }
  | { k: 'list'; of: Schema }
  | { k: 'obj'; props: Record<string, Prop>; each?: Schema }
  | { k: 'or'; of: Schema[]; what: string };

export interface Prop {
  s: Schema;
  /** The compose file format that introduced the key ("3.4"). */
  since?: string;
  /** docker stack deploy ignores it and says so. */
  ignored?: 'unsupported' | 'deprecated';
  /** Why it is refused: it would change behaviour and Flotilla cannot honour it yet. */
  refused?: string;
}

const str: Schema = { k: 'str' };
const int: Schema = { k: 'int' };
const num: Schema = { k: 'num' };
const bool: Schema = { k: 'bool' };
const scalar: Schema = { k: 'scalar' };
const nul: Schema = { k: 'null' };
const any: Schema = { k: 'any' };
const list = (of: Schema): Schema => ({ k: 'list', of });
const obj = (props: Record<string, Prop | Schema>, each?: Schema): Schema => ({
  k: 'obj',
  props: Object.fromEntries(Object.entries(props).map(([key, v]) => [key, 'k' in v ? { s: v } : v])),
  ...(each ? { each } : {}),
});
const or = (what: string, ...of: Schema[]): Schema => ({ k: 'or', of, what });
const since = (v: string, s: Schema): Prop => ({ s, since: v });
const ignored: Prop = { s: any, ignored: 'unsupported' };
const deprecated: Prop = { s: any, ignored: 'deprecated' };
const refused = (why: string, s: Schema = any, v?: string): Prop => ({ s, refused: why, ...(v ? { since: v } : {}) });

const strOrNum = or('a string or a number', str, num);
const strList = list(str);
const stringOrList = or('a string or a list of strings', str, strList);
const listOrDict = or('a list of strings or a mapping', list(str), obj({}, or('a string, number, boolean or null', scalar, nul)));
const duration = str;

const updateConfig = obj({
  parallelism: int,
  delay: duration,
  failure_action: str,
  monitor: duration,
  max_failure_ratio: num,
  order: since('3.4', str),
});

const resourceSet = (reservations: boolean): Schema =>
  obj({
    cpus: strOrNum,
    memory: strOrNum,
    pids: refused('a limit on the number of processes is not supported yet', int, '3.8'),
    ...(reservations
      ? {
          generic_resources: refused('generic resources are not supported yet', any, '3.5'),
          devices: refused('device reservations are not supported yet', any, '3.8'),
        }
      : {}),
  });

const deploy = obj({
  mode: str,
  replicas: int,
  labels: listOrDict,
  update_config: updateConfig,
  rollback_config: since('3.7', updateConfig),
  resources: obj({ limits: resourceSet(false), reservations: resourceSet(true) }),
  restart_policy: obj({ condition: str, delay: duration, max_attempts: int, window: duration }),
  placement: obj({
    constraints: strList,
    preferences: refused('placement preferences (spread) are not supported yet', any, '3.2'),
    max_replicas_per_node: refused('max_replicas_per_node is not supported yet', any, '3.8'),
  }),
  endpoint_mode: since('3.2', str),
});

const fileRef = or(
  'a name or a mapping',
  str,
  obj({ source: str, target: str, uid: str, gid: str, mode: int }),
);

const service = obj({
  build: ignored,
  cap_add: strList,
  cap_drop: strList,
  cgroup_parent: ignored,
  cgroupns_mode: ignored,
  command: stringOrList,
  configs: since('3.3', list(fileRef)),
  container_name: deprecated,
  credential_spec: refused('credential specs (Windows) are not supported', any, '3.3'),
  depends_on: or('a list of service names or a mapping', strList, obj({}, obj({ condition: str, required: bool, restart: bool }))),
  deploy,
  devices: ignored,
  dns: refused('custom DNS servers are not supported yet (tasks use the swarm DNS)', any),
  dns_search: refused('DNS search domains are not supported yet', any),
  domainname: ignored,
  entrypoint: stringOrList,
  env_file: stringOrList,
  environment: listOrDict,
  expose: deprecated,
  external_links: ignored,
  extra_hosts: listOrDict,
  healthcheck: obj({ test: stringOrList, interval: duration, timeout: duration, retries: num, start_period: since('3.4', duration), disable: bool }),
  hostname: str,
  image: str,
  init: since('3.7', bool),
  ipc: ignored,
  isolation: refused('isolation (Windows) is not supported', any, '3.5'),
  labels: listOrDict,
  links: ignored,
  logging: obj({ driver: str, options: obj({}, or('a string or a number', scalar, nul)) }),
  mac_address: ignored,
  network_mode: ignored,
  networks: or(
    'a list of network names or a mapping',
    strList,
    obj({}, or('null or a mapping', nul, obj({ aliases: strList, ipv4_address: refused('static addresses are not supported yet', any), ipv6_address: refused('static addresses are not supported yet', any) }))),
  ),
  pid: ignored,
  ports: list(or('a port number, a "published:target" string or a mapping', strOrNum, obj({ mode: str, target: int, published: strOrNum, protocol: str }))),
  privileged: ignored,
  read_only: bool,
  restart: ignored,
  secrets: since('3.1', list(fileRef)),
  security_opt: ignored,
  shm_size: ignored,
  stdin_open: bool,
  stop_grace_period: duration,
  stop_signal: str,
  sysctls: listOrDict,
  tmpfs: ignored,
  tty: bool,
  ulimits: obj({}, or('a number or a mapping with soft and hard', int, obj({ soft: int, hard: int }))),
  user: str,
  userns_mode: ignored,
  volumes: list(
    or(
      'a "source:target[:mode]" string or a mapping',
      str,
      obj({
        type: str,
        source: str,
        target: str,
        read_only: bool,
        consistency: str,
        bind: obj({ propagation: refused('bind propagation is not supported yet', any) }),
        volume: obj({ nocopy: refused('volume nocopy is not supported yet', any) }),
        tmpfs: obj({ size: refused('a tmpfs size is not supported yet', any) }),
      }),
    ),
  ),
  working_dir: str,
});

const external = or('a boolean or a mapping with a name', bool, obj({ name: str }));

const network = or(
  'null or a mapping',
  nul,
  obj({
    driver: str,
    driver_opts: obj({}, scalar),
    ipam: obj({ driver: str, config: list(obj({ subnet: str })) }),
    external,
    internal: bool,
    attachable: since('3.2', bool),
    labels: listOrDict,
    name: since('3.5', str),
  }),
);

const volume = or(
  'null or a mapping',
  nul,
  obj({ driver: str, driver_opts: obj({}, scalar), external, labels: since('3.4', listOrDict), name: since('3.4', str) }),
);

const fileObject = (v: string): Schema =>
  obj({
    file: str,
    external,
    labels: listOrDict,
    name: since(v, str),
    template_driver: refused('template drivers are not supported yet', any, '3.8'),
  });

export const COMPOSE_SCHEMA: Schema = obj({
  version: strOrNum,
  services: obj({}, or('a mapping', service)),
  networks: obj({}, network),
  volumes: obj({}, volume),
  secrets: since('3.1', obj({}, fileObject('3.5'))),
  configs: since('3.3', obj({}, fileObject('3.5'))),
});

/** Why docker calls a key deprecated, as `docker stack deploy` prints it. */
export const DEPRECATION_REASONS: Record<string, string> = {
  container_name: 'Setting the container name is not supported.',
  expose: 'Exposing ports is unnecessary - services on the same network can access each other\'s containers on any port.',
};
