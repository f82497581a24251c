// Stacks end to end (issue 15): three test hosts (own network namespace and Docker Engine each)
// running real flotillad (a manager and two workers) and the real CLI. Images are
// flotilla/busybox tagged under the names the files use (no registry). A compose stack with five
// services converges, its tasks reach each other by service name, config and secret files are
// in place with their modes; a redeploy changing one image updates only that service, an
// unchanged deploy writes nothing, --prune removes a dropped service; broken files change
// nothing; a DAB bundle and `deploy NAME` deploy; depends_on service_healthy never lets the
// dependent start first; two real-world stack files deploy with only their images retagged.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ControlClient, TaskState, type ListTasksResponse } from '@flotilla/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCluster, type ClusterNode, type HostCluster } from '../helpers/host-cluster.js';
import { containersOf, getMany, httpGetMany } from '../helpers/host-services.js';
import { runCli, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const LONG = 300_000;
const HERE = fileURLToPath(new URL('./stacks/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../../packages/stack/test/fixtures/', import.meta.url));
const BUSYBOX = 'flotilla/busybox:latest';
// Images that ignore their arguments and sleep: the real-world files (no command of ours) and the bundle.
const SLEEPER = 'stacks-e2e/sleeper:latest';
const OURS = ['stacks/web:1', 'stacks/web:2', 'stacks/api:1', 'stacks/db:1', 'stacks/agent:1', 'stacks/worker:1'];
const SLEEPING_IMAGES = [
  'stacks/dab:1', 'redis:alpine', 'postgres:15-alpine', 'dockersamples/examplevotingapp_vote', 'dockersamples/examplevotingapp_result', 'dockersamples/examplevotingapp_worker', 'dockersamples/visualizer:stable',
  'prom/prometheus:v2.45.0', 'grafana/grafana:10.0.3', 'prom/node-exporter:v1.6.1', 'gcr.io/cadvisor/cadvisor:v0.47.2',
];

let cluster: HostCluster | undefined;
let dir = '';

const c = (): HostCluster => cluster!;
const leader = (): ClusterNode => c().leader;
/** The CLI against the manager, from `cwd` (the stack files' folder). */
const flotilla = (...args: string[]): Promise<Finished> => runCli(['-H', `unix://${leader().socket}`, ...args], { cwd: dir });
async function ok(...args: string[]): Promise<string> {
  const run = await flotilla(...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${run.code}: ${run.stderr}\n${run.stdout}`);
  return run.stdout;
}

interface TaskJson {
  ID: string;
  serviceName: string;
}
/** Running task ids per service of a stack. */
async function runningTasks(stack: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const table = await ok('stack', 'ps', stack, '--no-trunc', '-f', 'desired-state=running');
  for (const line of table.split('\n').slice(1).filter(Boolean)) {
    const [id, name] = line.split(/\s+/);
    const service = name!.replace(/\.[^.]+$/, '');
    out.set(service, [...(out.get(service) ?? []), id!].sort());
  }
  return out;
}

const versions = async (stack: string): Promise<Record<string, number>> => {
  const ids = (await ok('stack', 'services', '-q', stack)).split('\n').filter(Boolean);
  const inspected = JSON.parse(await ok('service', 'inspect', ...ids)) as Array<{ Spec: { Name: string }; Version: { Index: number } }>;
  return Object.fromEntries(inspected.map((s) => [s.Spec.Name, Number(s.Version.Index)]));
};

beforeAll(async () => {
  cluster = await startHostCluster({ count: 3, initArgs: ['--default-addr-pool', '198.19.0.0/16'] });
  dir = await mkdtemp(join(tmpdir(), 'flotillad-stacks-'));
  for (const f of ['app.yml', 'worker.yml', 'web2.yml', 'app.conf', 'api_key.txt']) await copyFile(join(HERE, f), join(dir, f));
  for (const node of cluster.nodes) {
    const sh = (script: string) => node.host.exec(['sh', '-c', script]);
    // Ends at once on SIGTERM (a bare sleep as PID 1 ignores it and waits out the grace period).
    await sh(`printf 'FROM ${BUSYBOX}\\nENTRYPOINT ["/bin/sh", "-c", "trap exit TERM; sleep 100000 & wait", "sleeper"]\\n' | docker build -q -t ${SLEEPER} - >/dev/null`);
    for (const name of OURS) await node.host.exec(['docker', 'tag', BUSYBOX, name]);
    for (const name of SLEEPING_IMAGES) await node.host.exec(['docker', 'tag', SLEEPER, name]);
  }
}, LONG);

afterAll(async () => {
  await cluster?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}, LONG);

describe('stack deploy on three hosts (real flotillad, CLI, engines)', () => {
  it('deploys the stack, waits for each service, and says which dependency api waits for', async () => {
    const out = await ok('stack', 'deploy', '-c', 'app.yml', '-c', 'worker.yml', 'app');
    for (const line of ['Creating network app_back', 'Creating network app_front', 'Creating secret app_api_key', 'Creating config app_app_conf', 'Creating service app_db', 'Creating service app_api', 'Creating service app_web', 'Creating service app_agent', 'Creating service app_worker']) {
      expect(out).toContain(`${line}\n`);
    }
    expect(out).toMatch(/app_api: waiting for app_db to be healthy \(0\/1 running healthy\)/);
    expect(out).toMatch(/app_web: 2 out of 2 tasks running/);
    const services = await ok('stack', 'services', 'app');
    for (const [name, replicas] of [['app_web', '2/2'], ['app_api', '1/1'], ['app_db', '1/1'], ['app_agent', '3/3'], ['app_worker', '2/2']] as const) {
      expect(services).toMatch(new RegExp(`\\s${name}\\s+(replicated|global)\\s+${replicas.replace('/', '\\/')}\\s`));
    }
    expect(await ok('stack', 'ls')).toMatch(/^NAME\s+SERVICES\napp\s+5\n$/);
  }, LONG);

  it('places by constraint, mounts the config and the secret with their modes, keeps the named volume', async () => {
    const api = [...(await containersOf(c(), 'app_api'))][0]!;
    expect(api[1].role).toBe('worker');
    const exec = (script: string) => api[1].host.exec(['docker', 'exec', api[0], 'sh', '-c', script]);
    expect((await exec('cat /etc/app/app.conf; stat -c "%a %u" /etc/app/app.conf')).stdout).toBe('listen 8080\nmode production\n440 0\n');
    expect((await exec('cat /run/secrets/api_key; stat -c "%a" /run/secrets/api_key')).stdout).toBe('k3y-for-the-api\n400\n');
    const db = [...(await containersOf(c(), 'app_db'))][0]!;
    expect(db[1]).toBe(leader());
    expect((await leader().host.exec(['docker', 'volume', 'ls', '-q'])).stdout.split('\n')).toContain('app_dbdata');
    const agents = await containersOf(c(), 'app_agent');
    expect(new Set(agents.values()).size).toBe(3);
  }, LONG);

  it('tasks reach each other by service name on a shared network; the published port answers on every host', async () => {
    const worker = [...(await containersOf(c(), 'app_worker'))][0]!;
    const web = [...(await containersOf(c(), 'app_web'))][0]!;
    await waitFor('worker reaches api by name (network back)', async () => ((await httpGetMany(worker[1], worker[0], 'api', 1))[0] === 'api' ? true : undefined), 60_000);
    await waitFor('web reaches api by name (network front)', async () => ((await httpGetMany(web[1], web[0], 'api', 1))[0] === 'api' ? true : undefined), 60_000);
    // web is on front only: db (back only) is not a name there.
    expect((await web[1].host.exec(['docker', 'exec', web[0], 'nslookup', 'db'], { allowFailure: true })).stdout).not.toMatch(/Address:?\s+198\.19\./);
    for (const node of c().nodes) await waitFor(`port 18090 on ${node.name}`, async () => ((await getMany(node.addr, 18090, 1))[0] === 'web-1' ? true : undefined), 60_000);
  }, LONG);

  it('an unchanged deploy writes nothing and creates no task', async () => {
    const tasks = await runningTasks('app');
    const before = await versions('app');
    const out = await ok('stack', 'deploy', '-c', 'app.yml', '-c', 'worker.yml', 'app');
    expect(out).not.toMatch(/Creating|Updating|Removing/);
    expect(await versions('app')).toEqual(before);
    expect(await runningTasks('app')).toEqual(tasks);
  }, LONG);

  it('a deploy changing one image updates only that service (rolling), then --prune removes the dropped one', async () => {
    const tasks = await runningTasks('app');
    const before = await versions('app');
    const out = await ok('stack', 'deploy', '-c', 'app.yml', '-c', 'worker.yml', '-c', 'web2.yml', 'app');
    expect(out).toMatch(/^Updating service app_web \(id: \w+\)$/m);
    expect(out).not.toMatch(/Creating|Removing/);
    // All four untouched services at once, with the stack's task history: a failure says which changed and why.
    const untouched = ['app_api', 'app_db', 'app_agent', 'app_worker'];
    const only = <T>(m: ReadonlyMap<string, T>) => Object.fromEntries(untouched.map((n) => [n, m.get(n)]));
    const after = await versions('app');
    expect(only(new Map(Object.entries(after)))).toEqual(only(new Map(Object.entries(before))));
    const now = await runningTasks('app');
    expect(only(now), await ok('stack', 'ps', 'app', '--no-trunc')).toEqual(only(tasks));
    expect(now.get('app_web')!.some((id) => tasks.get('app_web')!.includes(id))).toBe(false);
    expect(await ok('stack', 'ps', 'app', '-f', 'desired-state=running')).toMatch(/app_web\.1\s+stacks\/web:2/);

    const pruned = await ok('stack', 'deploy', '-c', 'app.yml', '-c', 'web2.yml', '--prune', '--detach', 'app');
    expect(pruned).toContain('Removing service app_worker\n');
    expect(await ok('service', 'ls')).not.toContain('app_worker');
  }, LONG);

  it('refuses broken files with file:line: key and changes nothing', async () => {
    const lists = async () => Promise.all(['service', 'network', 'config', 'secret'].map((k) => ok(k, 'ls', '-q')));
    const before = await lists();
    const broken: Array<[string, string, RegExp]> = [
      ['syntax.yml', 'version: "3.8"\nservices:\n  x:\n    image: [oops\n', /^flotilla: syntax\.yml:\d+: YAML syntax error/],
      ['unknown.yml', 'version: "3.8"\nservices:\n  x:\n    image: stacks/web:1\n    replica: 2\n', /^flotilla: unknown\.yml:5: services\.x\.replica: services\.x Additional property replica is not allowed/],
      ['type.yml', 'version: "3.8"\nservices:\n  x:\n    image: stacks/web:1\n    deploy:\n      replicas: many\n', /^flotilla: type\.yml:6: services\.x\.deploy\.replicas: must be an integer/],
      ['variable.yml', 'version: "3.8"\nservices:\n  x:\n    image: "stacks/web:${TAG:?TAG must be set}"\n', /^flotilla: variable\.yml:4: services\.x\.image: required variable TAG is missing a value: TAG must be set/],
      ['ports.yml', 'version: "3.8"\nservices:\n  x:\n    image: stacks/web:1\n    ports: ["18090:80"]\n  y:\n    image: stacks/web:1\n', /^flotilla: ports\.yml:5: services\.x\.ports: port 18090\/tcp is already in use by service app_web/],
      ['external.yml', 'version: "3.8"\nservices:\n  x:\n    image: stacks/web:1\n    networks: [shared]\n  y:\n    image: stacks/web:1\nnetworks:\n  shared:\n    external: true\n', /^flotilla: network "shared" is declared as external, but could not be found/],
    ];
    for (const [file, text, message] of broken) {
      await writeFile(join(dir, file), text);
      const run = await flotilla('stack', 'deploy', '-c', file, '--detach', '--resolve-image', 'never', 'broken');
      expect([file, run.code]).toEqual([file, 1]);
      expect(run.stderr).toMatch(message);
    }
    expect(await lists()).toEqual(before);
  }, LONG);

  it('deploys a DAB bundle with --bundle-file and with 1.12\'s deploy NAME', async () => {
    const bundle = { Version: '0.1', Services: { hello: { Image: 'stacks/dab:1', Env: ['GREETING=hi'], Networks: ['net'], Ports: [{ Protocol: 'tcp', Port: 80 }] } } };
    await writeFile(join(dir, 'dabapp.dab'), JSON.stringify(bundle));
    const out = await ok('deploy', 'dabapp');
    expect(out).toMatch(/^Loading bundle from dabapp\.dab\nCreating network dabapp_net\nCreating service dabapp_hello\n/);
    expect(await ok('stack', 'services', 'dabapp')).toMatch(/dabapp_hello\s+replicated\s+1\/1\s+stacks\/dab:1/);
    await writeFile(join(dir, 'other.dab'), JSON.stringify(bundle));
    expect(await ok('stack', 'deploy', '--detach', '--bundle-file', 'other.dab', 'other')).toContain('Creating service other_hello\n');
    await ok('stack', 'rm', 'dabapp', 'other');
  }, LONG);

  it('depends_on service_healthy: the first task of the dependent is created only after its dependency reported healthy', async () => {
    const file = 'version: "3.8"\nservices:\n  db:\n    image: stacks/db:1\n    command: ["sh", "-c", "mkdir -p /tmp && sleep 1 && touch /tmp/ready && exec sleep 100000"]\n    stop_grace_period: 1s\n    healthcheck:\n      test: ["CMD", "test", "-f", "/tmp/ready"]\n      interval: 500ms\n      retries: 30\n  web:\n    image: stacks/web:1\n    command: ["sleep", "100000"]\n    stop_grace_period: 1s\n    depends_on:\n      db:\n        condition: service_healthy\n';
    await writeFile(join(dir, 'dep.yml'), file);
    // A real deploy is slow here (~40 s with the machine shared): the orchestrator's own test repeats the rule 20 times on a real Raft store.
    for (const i of [0]) {
      await ok('stack', 'deploy', '-c', 'dep.yml', '--detach', `dep${i}`);
      await waitFor(`dep${i}_web running`, async () => ((await ok('stack', 'services', `dep${i}`)).match(/dep\d_web\s+replicated\s+1\/1/) ? true : undefined), 120_000);
      // Both times from the store: db's task reported RUNNING (healthy, it has a check) and web's first task created.
      const db = (await listTasks(`dep${i}_db`)).tasks;
      const web = await listTasks(`dep${i}_web`);
      const dbHealthyAt = Math.min(...db.filter((t) => t.status?.state === TaskState.TASK_STATE_RUNNING).map((t) => t.status!.timestamp));
      const webFirstAt = Math.min(...web.tasks.map((t) => t.meta?.createdAt ?? 0));
      expect(Number.isFinite(dbHealthyAt)).toBe(true);
      expect(webFirstAt).toBeGreaterThanOrEqual(dbHealthyAt);
      expect(web.service?.dependencies?.releasedAt ?? 0).toBeGreaterThanOrEqual(dbHealthyAt);
      await ok('stack', 'rm', `dep${i}`);
    }
  }, LONG);

  it('real-world stack files (voting app, prometheus/grafana) deploy with only their images retagged', async () => {
    const stacks = [['vote', 'votingapp', 'docker-stack.yml', []], ['mon', 'monitoring', 'docker-compose.yml', ['prometheus.yml']]] as const;
    for (const [stack, dirName, file, extra] of stacks) {
      for (const f of [file, ...extra]) await copyFile(join(FIXTURES, dirName, f), join(dir, f));
      expect(await ok('stack', 'deploy', '--detach', '-c', file, stack)).toMatch(new RegExp(`Creating service ${stack}_`));
    }
    for (const [stack] of stacks) {
      await waitFor(`every service of ${stack} converged`, async () => {
        const rows = (await ok('stack', 'services', stack)).split('\n').slice(1).filter(Boolean);
        return rows.length > 0 && rows.every((l) => /\s(\d+)\/\1\s/.test(l) && !/\s0\/0\s/.test(l)) ? true : undefined;
      }, 180_000);
    }
    const removed = await ok('stack', 'rm', 'vote', 'mon');
    expect(removed).toMatch(/Removing network vote_frontend/);
    expect(removed).toMatch(/Removing config mon_prometheus_config/);
    expect(await ok('service', 'ls')).not.toMatch(/vote_|mon_/);
    expect(await ok('network', 'ls')).not.toMatch(/vote_|mon_/);
  }, LONG);
});

/** The tasks of a service as the store has them (state times), over the manager's control socket. */
function listTasks(service: string): Promise<ListTasksResponse> {
  const client = new ControlClient(`unix://${leader().socket}`, credentials.createInsecure());
  return new Promise<ListTasksResponse>((resolve, reject) => {
    client.listTasks({ service, desiredStates: [] }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, res) => (err ? reject(err) : resolve(res)));
  }).finally(() => client.close());
}
