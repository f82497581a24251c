// docker's --filter keys and their matching, table by table: which objects each filter keeps,
// and docker's words for a malformed flag, an unknown key and a refused value.
import { NodeRole, ServiceMode, TaskState, type Network, type NetworkView, type Node, type Plugin, type Secret, type Service, type Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { FilterError, filtersFor, matchConfig, matchNetwork, matchNode, matchPlugin, matchSecret, matchService, matchTask, parseFilters } from '../src/index.js';

const svc = (id: string, name: string, labels: Record<string, string>, mode = ServiceMode.SERVICE_MODE_REPLICATED) =>
  ({ id, spec: { annotations: { name, labels }, mode } }) as unknown as Service;
const services = [svc('abc111', 'web', { tier: 'front', env: 'prod' }), svc('abd222', 'webhook', { tier: 'back' }), svc('xyz333', 'agent', {}, ServiceMode.SERVICE_MODE_GLOBAL)];
const names = (list: readonly Service[], filters: string[]) => list.filter((s) => matchService(filtersFor('service', filters), s)).map((s) => s.spec!.annotations!.name);

describe('parsing', () => {
  it('lower-cases and trims keys and trims values; repeats collect', () => {
    expect([...parseFilters([' Name = web ', 'name=api', 'label=a=b'])]).toEqual([
      ['name', ['web', 'api']],
      ['label', ['a=b']],
    ]);
  });

  it('refuses a flag without = as docker does (a usage error)', () => {
    const err = (() => {
      try {
        parseFilters(['web']);
      } catch (e) {
        return e as FilterError;
      }
    })();
    expect(err?.message).toBe('invalid argument "web" for "-f, --filter" flag: bad format of filter (expected name=value)');
    expect(err?.usage).toBe(true);
  });

  it.each([
    ['service', 'node=x', "invalid filter 'node'"],
    ['node', 'mode=global', "invalid filter 'mode'"],
    ['node', 'role=boss', "Invalid role filter: 'boss'"],
    ['node', 'membership=maybe', "Invalid membership filter: 'maybe'"],
    ['task', 'desired-state=sleeping', "Invalid desired-state filter: 'sleeping'"],
    ['task', 'mode=x', "invalid filter 'mode'"],
    ['network', 'type=weird', "invalid filter: 'type'='weird'"],
    ['network', 'dangling=maybe', 'invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")'],
    ['secret', 'driver=x', "invalid filter 'driver'"],
    ['config', 'names=x', "invalid filter 'names'"],
    ['plugin', 'enabled=yes', "invalid filter 'enabled=[yes]'"],
  ] as const)('%s %s → %s', (kind, flag, message) => {
    expect(() => filtersFor(kind, [flag])).toThrow(new FilterError(message));
  });

  it('two dangling values are refused', () => {
    expect(() => filtersFor('network', ['dangling=true', 'dangling=false'])).toThrow('got more than one value for filter key "dangling"');
  });
});

describe('services', () => {
  it.each<[string[], string[]]>([
    [[], ['web', 'webhook', 'agent']],
    [['name=web'], ['web', 'webhook']], // a name filter matches the start of the name
    [['name=web', 'name=agent'], ['web', 'webhook', 'agent']], // values of one key are alternatives
    [['id=ab'], ['web', 'webhook']],
    [['id=abd'], ['webhook']],
    [['label=tier'], ['web', 'webhook']],
    [['label=tier=front'], ['web']],
    [['label=tier', 'label=env=prod'], ['web']], // labels must all match
    [['mode=global'], ['agent']],
    [['mode=replicated', 'name=webh'], ['webhook']], // different keys must all match
    [['runtime=container'], ['web', 'webhook', 'agent']],
    [['runtime=plugin'], []],
  ])('%j → %j', (filters, expected) => {
    expect(names(services, filters)).toEqual(expected);
  });
});

describe('nodes', () => {
  const node = (id: string, hostname: string, role: NodeRole, engine: Record<string, string>, own: Record<string, string>) =>
    ({ id, role, description: { hostname, engine: { labels: engine } }, spec: { annotations: { labels: own } } }) as unknown as Node;
  const nodes = [node('n1', 'mgr-1', NodeRole.NODE_ROLE_MANAGER, { ssd: 'true' }, { zone: 'a' }), node('n2', 'wrk-1', NodeRole.NODE_ROLE_WORKER, {}, { zone: 'b' })];
  const hosts = (filters: string[]) => nodes.filter((n) => matchNode(filtersFor('node', filters), n)).map((n) => n.description!.hostname);
  it.each<[string[], string[]]>([
    [['role=manager'], ['mgr-1']],
    [['role=WORKER'], ['wrk-1']],
    [['name=wrk'], ['wrk-1']],
    [['label=ssd=true'], ['mgr-1']], // engine labels
    [['node.label=zone=b'], ['wrk-1']], // the node's own labels
    [['membership=accepted'], ['mgr-1', 'wrk-1']],
    [['membership=pending'], []],
    [['id=n2'], ['wrk-1']],
  ])('%j → %j', (filters, expected) => expect(hosts(filters)).toEqual(expected));
});

describe('tasks', () => {
  const task = (id: string, slot: number, nodeId: string, desired: TaskState) => ({ id, slot, nodeId, serviceId: 'svc1', serviceName: 'web', desiredState: desired }) as unknown as Task;
  const tasks = [task('t1', 1, 'n1', TaskState.TASK_STATE_RUNNING), task('t2', 1, 'n2', TaskState.TASK_STATE_SHUTDOWN), task('t3', 10, 'n2', TaskState.TASK_STATE_RUNNING)];
  const service = svc('svc1', 'web', { tier: 'front' });
  const ids = (filters: string[]) => tasks.filter((t) => matchTask(filtersFor('task', filters), t, service)).map((t) => t.id);
  it.each<[string[], string[]]>([
    [['desired-state=running'], ['t1', 't3']],
    [['desired-state=Shutdown'], ['t2']],
    [['desired-state=running', 'desired-state=shutdown'], ['t1', 't2', 't3']],
    [['node=n2'], ['t2', 't3']],
    [['name=web.1'], ['t1', 't2', 't3']], // the start of web.1.t1, web.1.t2 and web.10.t3
    [['name=web.1.t2'], ['t2']],
    [['id=t3'], ['t3']],
    [['service=svc1', 'label=tier=front'], ['t1', 't2', 't3']],
    [['label=tier=back'], []],
  ])('%j → %j', (filters, expected) => expect(ids(filters)).toEqual(expected));
});

describe('networks, secrets, configs, plugins', () => {
  const net = (id: string, name: string, inUse: boolean): NetworkView => ({
    network: { id, spec: { annotations: { name, labels: { team: 'a' } }, driver: 'overlay' } } as unknown as Network,
    services: inUse ? [{ id: 's', name: 's', virtualIp: '' }] : [],
    tasks: [],
  });
  const nets = [net('aaa1', 'ingress', true), net('bbb2', 'backend', false), net('ccc3', 'frontend-net', true)];
  const netNames = (filters: string[]) => nets.filter((v) => matchNetwork(filtersFor('network', filters), v)).map((v) => v.network!.spec!.annotations!.name);
  it.each<[string[], string[]]>([
    [['name=end'], ['backend', 'frontend-net']], // a part of the name
    [['driver=overlay'], ['ingress', 'backend', 'frontend-net']],
    [['driver=bridge'], []],
    [['scope=swarm'], ['ingress', 'backend', 'frontend-net']],
    [['scope=local'], []],
    [['type=custom'], ['ingress', 'backend', 'frontend-net']],
    [['type=builtin'], []],
    [['dangling=true'], ['backend']],
    [['dangling=0'], ['ingress', 'frontend-net']],
    [['id=ccc'], ['frontend-net']],
    [['label=team=a'], ['ingress', 'backend', 'frontend-net']],
  ])('network %j → %j', (filters, expected) => expect(netNames(filters)).toEqual(expected));

  it('secrets: name is a prefix, names exact', () => {
    const secrets = ['db_pass', 'db_pass_old', 'api_key'].map((name, i) => ({ id: `s${i}`, spec: { annotations: { name, labels: {} } } }) as unknown as Secret);
    const pick = (f: string[]) => secrets.filter((s) => matchSecret(filtersFor('secret', f), s)).map((s) => s.spec!.annotations!.name);
    expect(pick(['name=db_pass'])).toEqual(['db_pass', 'db_pass_old']);
    expect(pick(['names=db_pass'])).toEqual(['db_pass']);
    expect(pick(['id=s2'])).toEqual(['api_key']);
  });

  it('configs: id, name, label', () => {
    const configs = [{ id: 'c1', spec: { annotations: { name: 'nginx.conf', labels: { app: 'web' } } } }, { id: 'c2', spec: { annotations: { name: 'app.yml', labels: {} } } }] as never[];
    const pick = (f: string[]) => configs.filter((c) => matchConfig(filtersFor('config', f), c)).map((c: { id: string }) => c.id);
    expect(pick(['label=app'])).toEqual(['c1']);
    expect(pick(['name=app'])).toEqual(['c2']);
  });

  it('plugins: enabled and capability', () => {
    const plugin = (id: string, enabled: boolean, types: string[]) => ({ id, spec: { enabled, configJson: JSON.stringify({ interface: { types } }) } }) as unknown as Plugin;
    const plugins = [plugin('p1', true, ['docker.volumedriver/1.0']), plugin('p2', false, ['docker.authz/1.0'])];
    const pick = (f: string[]) => plugins.filter((p) => matchPlugin(filtersFor('plugin', f), p)).map((p) => p.id);
    expect(pick(['enabled=true'])).toEqual(['p1']);
    expect(pick(['enabled=false'])).toEqual(['p2']);
    expect(pick(['capability=authz'])).toEqual(['p2']);
    expect(pick(['capability=volumedriver', 'enabled=false'])).toEqual([]);
  });
});
