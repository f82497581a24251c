import fc from 'fast-check';
import { checkServiceSpec, DependencyCondition, PublishMode, ServiceMode } from '@flotilla/api';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { convertStack, creationOrder, loadBundle, STACK_NAMESPACE_LABEL } from '../src/index.js';
import { loadFixture, loadText } from './helpers.js';

const noFiles = { readBytes: (p: string) => Buffer.from(`contents of ${p}`) };

describe('compose -> specs', () => {
  it('names, labels, aliases, configs, secrets and dependencies of the basic fixture', () => {
    const { request, problems } = convertStack(loadFixture('basic', ['docker-compose.yml'], { B: 'bee' }).model, noFiles);
    expect(problems).toEqual([]);
    expect(request.services.map((s) => s.annotations?.name)).toEqual(['basic_db', 'basic_web']); // db first: web depends on it
    const web = request.services[1]!;
    expect(web.annotations?.labels[STACK_NAMESPACE_LABEL]).toBe('basic');
    expect(web.task?.container?.args).toEqual(['sh', '-c', 'echo hi && sleep 1']);
    expect(web.task?.container?.env).toEqual(['A=1', 'B=bee']);
    expect(web.task?.networks).toEqual([
      { target: 'basic_back', aliases: ['web'] },
      { target: 'basic_front', aliases: ['www', 'web'] },
    ]);
    expect(web.endpoint?.ports.map((p) => [p.publishedPort, p.targetPort, p.publishMode])).toEqual([
      [8080, 80, PublishMode.PUBLISH_MODE_INGRESS],
      [8443, 443, PublishMode.PUBLISH_MODE_HOST],
    ]);
    expect(web.dependsOn).toEqual([{ service: 'basic_db', condition: DependencyCondition.DEPENDENCY_CONDITION_STARTED }]);
    expect(web.task?.logDriver).toEqual({ name: 'json-file', options: { 'max-size': '10m' } });
    const db = request.services[0]!;
    expect(db.task?.container?.configs).toEqual([{ configId: '', configName: 'basic_pgconf', target: '/etc/postgresql.conf', uid: '0', gid: '0', mode: 0o444 }]);
    expect(db.task?.container?.secrets.map((s) => [s.secretName, s.target])).toEqual([['basic_db_pass', 'db_pass']]);
    expect(db.task?.container?.mounts.map((m) => [m.source, m.target, m.readOnly])).toEqual([
      ['basic_data', '/var/lib/postgresql/data', false],
      [expect.stringMatching(/fixtures\/basic\/init$/), '/docker-entrypoint-initdb.d', true],
    ]);
    expect(request.networks.map((n) => n.annotations?.name)).toEqual(['basic_back', 'basic_front']);
    expect(request.configs.map((c) => [c.annotations?.name, c.data.toString()])).toEqual([['basic_pgconf', expect.stringContaining('fixtures/basic/pg.conf')]]);
    expect(request.secrets.map((c) => c.annotations?.name)).toEqual(['basic_db_pass']);
  });

  it('the real-world fixtures convert to valid specs', () => {
    for (const [dir, file] of [['votingapp', 'docker-stack.yml'], ['monitoring', 'docker-compose.yml']] as const) {
      const { request, problems } = convertStack(loadFixture(dir, [file]).model, noFiles);
      expect(problems).toEqual([]);
      expect(request.services.length).toBeGreaterThanOrEqual(4);
    }
  });

  it('external objects are listed for the manager to find, not created', () => {
    const { request } = convertStack(
      loadText('version: "3.8"\nservices:\n  a:\n    image: a\n    networks: [ext]\n    secrets: [s]\nnetworks:\n  ext:\n    external: true\nsecrets:\n  s:\n    external:\n      name: shared_secret\n').model,
      noFiles,
    );
    expect(request.networks).toEqual([]);
    expect(request.externalNetworks).toEqual(['ext']);
    expect(request.externalSecrets).toEqual(['shared_secret']);
    expect(request.services[0]!.task?.container?.secrets[0]?.secretName).toBe('shared_secret');
  });

  it('creation order puts dependencies first', () => {
    // Depth first in name order: api's dependency db comes before api, web after both.
    expect(creationOrder({ web: { depends_on: { api: { condition: 'service_started', required: true } } }, api: { depends_on: { db: { condition: 'service_healthy', required: true } } }, db: {}, cache: {} })).toEqual(['db', 'api', 'cache', 'web']);
  });

  // Property: any well-formed service converts to a spec the api's validator accepts, with the
  // stack's naming and label, every variable, every port and the replica count carried over.
  it('property: generated services convert to valid, faithful specs', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
    const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/);
    const service = fc.record({
      replicas: fc.integer({ min: 0, max: 20 }),
      global: fc.boolean(),
      env: fc.dictionary(envName, fc.string({ maxLength: 12 }).filter((s) => !s.includes('$')), { maxKeys: 5 }),
      targets: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
      command: fc.array(fc.stringMatching(/^[a-z0-9-]{1,6}$/), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.dictionary(key, service, { minKeys: 1, maxKeys: 4 }), fc.integer({ min: 20000, max: 29000 }), (services, portBase) => {
        let next = portBase;
        const doc = {
          version: '3.8',
          services: Object.fromEntries(
            Object.entries(services).map(([name, s]) => [
              name,
              {
                image: `img/${name}:1`,
                environment: s.env,
                ...(s.command.length ? { command: s.command } : {}),
                ports: s.targets.map((t) => `${next++}:${t}`),
                deploy: s.global ? { mode: 'global' } : { replicas: s.replicas },
              },
            ]),
          ),
        };
        const { request, problems } = convertStack(loadText(stringify(doc)).model, noFiles);
        expect(problems).toEqual([]);
        for (const spec of request.services) {
          const name = spec.annotations!.name.replace(/^app_/, '');
          const s = services[name]!;
          expect(checkServiceSpec(spec).problems).toEqual([]);
          expect(spec.annotations?.labels[STACK_NAMESPACE_LABEL]).toBe('app');
          expect(spec.mode).toBe(s.global ? ServiceMode.SERVICE_MODE_GLOBAL : ServiceMode.SERVICE_MODE_REPLICATED);
          if (!s.global) expect(spec.replicas).toBe(s.replicas);
          expect(spec.task?.container?.env).toEqual(Object.entries(s.env).map(([k, v]) => `${k}=${v}`).sort());
          expect(spec.task?.container?.args).toEqual(s.command);
          expect(spec.endpoint?.ports.map((p) => p.targetPort)).toEqual(s.targets);
          expect(spec.task?.networks).toEqual([{ target: 'app_default', aliases: [name] }]);
        }
        expect(request.services).toHaveLength(Object.keys(services).length);
      }),
      { numRuns: 60 },
    );
  });
});

describe('DAB bundles', () => {
  const bundle = JSON.stringify({
    Version: '0.1',
    Services: {
      web: { Image: 'img/web@sha256:' + 'a'.repeat(64), Command: ['/bin/sh'], Args: ['-c', 'sleep 1'], Env: ['A=1'], Labels: { x: 'y' }, Networks: ['front'], Ports: [{ Protocol: 'tcp', Port: 80 }], User: 'nobody', WorkingDir: '/srv' },
      worker: { Image: 'img/worker:1' },
    },
  });

  it('converts every DAB field', () => {
    const { request, problems } = convertStack(loadBundle(bundle, 'app.dab', 'app'), noFiles);
    expect(problems).toEqual([]);
    const web = request.services.find((s) => s.annotations?.name === 'app_web')!;
    expect(web.task?.container).toMatchObject({ command: ['/bin/sh'], args: ['-c', 'sleep 1'], env: ['A=1'], user: 'nobody', dir: '/srv', labels: { x: 'y', [STACK_NAMESPACE_LABEL]: 'app' } });
    expect(web.endpoint?.ports.map((p) => [p.targetPort, p.publishedPort])).toEqual([[80, 0]]);
    expect(web.task?.networks).toEqual([{ target: 'app_front', aliases: ['web'] }]);
    expect(request.services.find((s) => s.annotations?.name === 'app_worker')!.task?.networks).toEqual([{ target: 'app_default', aliases: ['worker'] }]);
    expect(request.networks.map((n) => n.annotations?.name).sort()).toEqual(['app_default', 'app_front']);
  });

  it('refuses unknown keys and versions', () => {
    expect(() => loadBundle(JSON.stringify({ Version: '0.2', Services: { a: { Image: 'x', Volumes: [] } } }), 'app.dab', 'app')).toThrow(/Version: unsupported bundle version "0.2"[\s\S]*Services\.a\.Volumes: unknown service key Volumes/);
    expect(() => loadBundle('{', 'app.dab', 'app')).toThrow(/app\.dab:1: bundle is not valid JSON/);
  });
});
