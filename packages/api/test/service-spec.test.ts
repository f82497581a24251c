import { describe, expect, it } from 'vitest';
import {
  EndpointMode,
  MountType,
  PortProtocol,
  PublishMode,
  RestartCondition,
  ServiceMode,
  SpecError,
  UpdateFailureAction,
  UpdateOrder,
  checkServiceSpec,
  validateServiceSpec,
  type ServiceSpec,
  type SpecInput,
} from '../src/index.js';

type Input = SpecInput<ServiceSpec>;

function base(): Input {
  return { annotations: { name: 'frontend' }, task: { container: { image: 'frontend:latest' } } };
}

/** Returns base() with `patch` applied to a deep copy. */
function spec(patch: (s: any) => void): Input {
  const s = structuredClone(base()) as any;
  patch(s);
  return s as Input;
}

function firstError(input: Input): SpecError {
  try {
    validateServiceSpec(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return err as SpecError;
  }
  throw new Error('validateServiceSpec accepted a spec it should reject');
}

describe('validateServiceSpec defaults', () => {
  it('fills docker defaults into a minimal spec', () => {
    const out = validateServiceSpec(base());
    expect(out.mode).toBe(ServiceMode.SERVICE_MODE_REPLICATED);
    expect(out.replicas).toBe(1);
    expect(out.annotations).toEqual({ name: 'frontend', labels: {} });
    expect(out.task?.restart).toEqual({ condition: RestartCondition.RESTART_CONDITION_ANY, delayMs: 5000, maxAttempts: 0, windowMs: 0 });
    const updateDefaults = {
      parallelism: 1,
      delayMs: 0,
      failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE,
      monitorMs: 5000,
      maxFailureRatio: 0,
      order: UpdateOrder.UPDATE_ORDER_STOP_FIRST,
    };
    expect(out.update).toEqual(updateDefaults);
    expect(out.rollback).toEqual(updateDefaults);
    expect(out.task?.container?.stopGracePeriodMs).toBe(10_000);
    expect(out.task?.container?.hasStopGracePeriod).toBe(true);
    expect(out.endpoint).toEqual({ mode: EndpointMode.ENDPOINT_MODE_VIP, ports: [] });
    expect(out.task?.resources).toEqual({ limits: { nanoCpus: 0, memoryBytes: 0, pids: 0 }, reservations: { nanoCpus: 0, memoryBytes: 0, pids: 0 } });
    expect(out.task?.container?.dnsConfig).toEqual({ nameservers: [], search: [], options: [] });
    expect(out.task?.container?.groups).toEqual([]);
    expect(out.task?.container?.oomScoreAdj).toBe(0);
    expect(out.task?.placement).toEqual({ constraints: [], preferences: [], maxReplicas: 0 });
    expect(out.task?.networks).toEqual([]);
    expect(out.task?.container?.healthcheck).toBeUndefined();
  });

  it('keeps explicit values, including explicit zeros', () => {
    const out = validateServiceSpec(
      spec((s) => {
        s.replicas = 0;
        s.task.restart = { condition: RestartCondition.RESTART_CONDITION_ON_FAILURE, delayMs: 0 };
        s.task.container.stopGracePeriodMs = 0;
        s.task.container.hasStopGracePeriod = true;
        s.update = { parallelism: 0, monitorMs: 0 };
      }),
    );
    expect(out.replicas).toBe(0);
    expect(out.task?.restart).toEqual({ condition: RestartCondition.RESTART_CONDITION_ON_FAILURE, delayMs: 0, maxAttempts: 0, windowMs: 0 });
    expect(out.task?.container?.stopGracePeriodMs).toBe(0);
    expect(out.update?.parallelism).toBe(0);
    expect(out.update?.monitorMs).toBe(0);
    expect(out.update?.failureAction).toBe(UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE);
  });

  it('takes a non-zero stop grace period as explicit even without the flag', () => {
    const out = validateServiceSpec(spec((s) => (s.task.container.stopGracePeriodMs = 2500)));
    expect(out.task?.container?.stopGracePeriodMs).toBe(2500);
  });

  it('gives a replicated job one completion and as many at once as completions unless told', () => {
    const one = validateServiceSpec(spec((s) => (s.mode = ServiceMode.SERVICE_MODE_REPLICATED_JOB)));
    expect([one.replicas, one.maxConcurrent]).toEqual([1, 1]);
    const wire = validateServiceSpec(spec((s) => ((s.mode = ServiceMode.SERVICE_MODE_REPLICATED_JOB), (s.replicas = 0))));
    expect([wire.replicas, wire.maxConcurrent]).toEqual([1, 1]);
    const six = validateServiceSpec(spec((s) => ((s.mode = ServiceMode.SERVICE_MODE_REPLICATED_JOB), (s.replicas = 6))));
    expect([six.replicas, six.maxConcurrent]).toEqual([6, 6]);
    const two = validateServiceSpec(spec((s) => ((s.mode = ServiceMode.SERVICE_MODE_REPLICATED_JOB), (s.replicas = 6), (s.maxConcurrent = 2))));
    expect([two.replicas, two.maxConcurrent]).toEqual([6, 2]);
    const global = validateServiceSpec(spec((s) => (s.mode = ServiceMode.SERVICE_MODE_GLOBAL_JOB)));
    expect([global.replicas, global.maxConcurrent]).toEqual([0, 0]);
  });

  it('keeps placement preferences in order and the per-node limit', () => {
    const out = validateServiceSpec(
      spec((s) => (s.task.placement = { preferences: [{ spread: 'node.labels.zone' }, { spread: 'engine.labels.rack' }], maxReplicas: 2 })),
    );
    expect(out.task?.placement).toEqual({ constraints: [], preferences: [{ spread: 'node.labels.zone' }, { spread: 'engine.labels.rack' }], maxReplicas: 2 });
  });

  it('gives global services zero replicas', () => {
    const out = validateServiceSpec(spec((s) => (s.mode = ServiceMode.SERVICE_MODE_GLOBAL)));
    expect(out.replicas).toBe(0);
    expect(out.mode).toBe(ServiceMode.SERVICE_MODE_GLOBAL);
  });

  it('defaults port protocol to tcp and publish mode to ingress', () => {
    const out = validateServiceSpec(spec((s) => (s.endpoint = { ports: [{ targetPort: 80, publishedPort: 8080 }] })));
    expect(out.endpoint?.ports).toEqual([
      { name: '', protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 8080, publishMode: PublishMode.PUBLISH_MODE_INGRESS },
    ]);
  });

  it('defaults a secret target to its name', () => {
    const out = validateServiceSpec(spec((s) => (s.task.container.secrets = [{ secretName: 'db-pass' }])));
    expect(out.task?.container?.secrets).toEqual([{ secretId: '', secretName: 'db-pass', target: 'db-pass', uid: '0', gid: '0', mode: 0o444 }]);
  });

  it('does not change its input', () => {
    const input = spec((s) => (s.endpoint = { ports: [{ targetPort: 80 }] }));
    const before = structuredClone(input);
    validateServiceSpec(input);
    expect(input).toEqual(before);
    const bad = spec((s) => (s.replicas = -1));
    const badBefore = structuredClone(bad);
    expect(() => validateServiceSpec(bad)).toThrow(SpecError);
    expect(bad).toEqual(badBefore);
  });

  it('is idempotent: validating its own output gives the same spec', () => {
    const once = validateServiceSpec(
      spec((s) => {
        s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_TMPFS, target: '/tmp' }];
        s.task.container.healthcheck = { test: ['CMD', 'true'], intervalMs: 1000 };
        s.task.placement = { constraints: ['node.role==manager'] };
        s.task.networks = [{ target: 'mynet', aliases: ['web'] }];
      }),
    );
    expect(validateServiceSpec(once)).toEqual(once);
  });
});

describe('validateServiceSpec accepts good specs', () => {
  it.each<[string, (s: any) => void]>([
    ['image with registry port, path and tag', (s) => (s.task.container.image = 'registry:5000/a/b:tag')],
    ['image by digest', (s) => (s.task.container.image = `busybox@sha256:${'a'.repeat(64)}`)],
    ['image id', (s) => (s.task.container.image = `sha256:${'0123456789abcdef'.repeat(4)}`)],
    ['image with tag and digest', (s) => (s.task.container.image = `docker.io/library/busybox:1.36@sha256:${'b'.repeat(64)}`)],
    ['localhost registry', (s) => (s.task.container.image = 'localhost/app')],
    ['flotilla test image', (s) => (s.task.container.image = 'flotilla/busybox:latest')],
    ['name of 63 chars', (s) => (s.annotations.name = 'a'.repeat(63))],
    ['name with dots, dashes, underscores', (s) => (s.annotations.name = '9web_front-end.v2')],
    ['zero replicas', (s) => (s.replicas = 0)],
    ['global with replicas 0 (as decoded from the wire)', (s) => ((s.mode = ServiceMode.SERVICE_MODE_GLOBAL), (s.replicas = 0))],
    ['port 65535 published on 1', (s) => (s.endpoint = { ports: [{ targetPort: 65535, publishedPort: 1 }] })],
    [
      'same published port on tcp and udp',
      (s) =>
        (s.endpoint = {
          ports: [
            { targetPort: 53, publishedPort: 53, protocol: PortProtocol.PORT_PROTOCOL_TCP },
            { targetPort: 53, publishedPort: 53, protocol: PortProtocol.PORT_PROTOCOL_UDP },
          ],
        }),
    ],
    ['several unpublished ports', (s) => (s.endpoint = { ports: [{ targetPort: 80 }, { targetPort: 81 }] })],
    ['dnsrr with host-mode ports', (s) => (s.endpoint = { mode: EndpointMode.ENDPOINT_MODE_DNSRR, ports: [{ targetPort: 80, publishMode: PublishMode.PUBLISH_MODE_HOST }] })],
    ['failure ratio 1', (s) => (s.update = { maxFailureRatio: 1 })],
    ['rollback on failure', (s) => (s.update = { failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK })],
    ['bind mount', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_BIND, source: '/srv/data', target: '/data', readOnly: true }])],
    ['anonymous volume', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_VOLUME, target: '/data' }])],
    ['named volume', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_VOLUME, source: 'pgdata', target: '/var/lib/pg' }])],
    ['health NONE', (s) => (s.task.container.healthcheck = { test: ['NONE'] })],
    ['health inherit', (s) => (s.task.container.healthcheck = { test: [], retries: 3 })],
    ['health CMD-SHELL', (s) => (s.task.container.healthcheck = { test: ['CMD-SHELL', 'wget -q localhost || exit 1'], intervalMs: 5000, timeoutMs: 1000, retries: 3, startPeriodMs: 0 })],
    ['reservation equal to limit', (s) => (s.task.resources = { limits: { nanoCpus: 1e9, memoryBytes: 1 << 20 }, reservations: { nanoCpus: 1e9, memoryBytes: 1 << 20 } })],
    ['reservation with no limit', (s) => (s.task.resources = { reservations: { nanoCpus: 4e9, memoryBytes: 1 << 30 } })],
    ['constraints', (s) => (s.task.placement = { constraints: ['node.labels.storage==ssd', 'engine.labels.os!=windows'] })],
    ['env with empty value and = in value', (s) => (s.task.container.env = ['A=', 'B=x=y'])],
    ['absolute working dir', (s) => (s.task.container.dir = '/srv')],
    ['labels', (s) => ((s.annotations.labels = { 'com.example.tier': 'web' }), (s.task.container.labels = { a: '' }))],
    ['dns config', (s) => (s.task.container.dnsConfig = { nameservers: ['10.0.0.2', 'fd00::53'], search: ['example.org', 'corp.example.com.', '.'], options: ['ndots:2', 'rotate'] })],
    ['groups by name and number', (s) => (s.task.container.groups = ['audio', '1001', 'svc_x-1'])],
    ['oom score adj at the ends', (s) => (s.task.container.oomScoreAdj = -1000)],
    ['pids limit, and -1 for unlimited', (s) => (s.task.resources = { limits: { pids: 100 } })],
    ['pids limit -1', (s) => (s.task.resources = { limits: { pids: -1 } })],
    ['health start interval', (s) => (s.task.container.healthcheck = { test: ['CMD', 'true'], startPeriodMs: 30_000, startIntervalMs: 1000 })],
  ])('%s', (_name, patch) => {
    const { problems } = checkServiceSpec(spec(patch));
    expect(problems.map((e) => `${e.field}: ${e.message}`)).toEqual([]);
  });
});

describe('validateServiceSpec rejects bad specs with precise errors', () => {
  it.each<[string, (s: any) => void, string, string]>([
    ['missing name', (s) => delete s.annotations.name, 'annotations.name', 'service name must not be empty'],
    ['name starting with dash', (s) => (s.annotations.name = '-web'), 'annotations.name', 'service name "-web" is invalid: it must start with a letter or digit'],
    ['name with slash', (s) => (s.annotations.name = 'a/b'), 'annotations.name', 'service name "a/b" is invalid'],
    ['name of 64 chars', (s) => (s.annotations.name = 'a'.repeat(64)), 'annotations.name', `service name "${'a'.repeat(64)}" is longer than 63 characters`],
    ['empty label key', (s) => (s.annotations.labels = { '': 'x' }), 'annotations.labels', 'annotations.labels: label key must not be empty'],
    ['missing image', (s) => delete s.task.container.image, 'task.container.image', 'task.container.image must be provided'],
    ['missing task', (s) => delete s.task, 'task.container.image', 'task.container.image must be provided'],
    ['uppercase image', (s) => (s.task.container.image = 'Frontend:latest'), 'task.container.image', 'invalid image reference "Frontend:latest": repository name must be lowercase'],
    ['bad tag', (s) => (s.task.container.image = 'frontend:-x'), 'task.container.image', 'invalid image reference "frontend:-x": tag "-x" is invalid'],
    ['empty tag', (s) => (s.task.container.image = 'frontend:'), 'task.container.image', 'invalid image reference "frontend:": tag "" is invalid'],
    ['short digest', (s) => (s.task.container.image = 'frontend@sha256:abc'), 'task.container.image', 'invalid image reference "frontend@sha256:abc": digest "sha256:abc" is invalid'],
    ['double slash', (s) => (s.task.container.image = 'a//b'), 'task.container.image', 'invalid image reference "a//b": repository name has an empty path component'],
    ['bad registry', (s) => (s.task.container.image = 'reg-.io:5000/a'), 'task.container.image', 'invalid image reference "reg-.io:5000/a": registry "reg-.io:5000" is invalid'],
    ['image with space', (s) => (s.task.container.image = 'a b'), 'task.container.image', 'invalid image reference "a b": must not contain whitespace'],
    ['negative replicas', (s) => (s.replicas = -1), 'replicas', 'replicas must be >= 0 (got -1)'],
    ['fractional replicas', (s) => (s.replicas = 1.5), 'replicas', 'replicas must be a whole number (got 1.5)'],
    ['replicas with global', (s) => ((s.mode = ServiceMode.SERVICE_MODE_GLOBAL), (s.replicas = 3)), 'replicas', 'replicas is not allowed with global mode (got 3)'],
    ['unknown mode', (s) => (s.mode = 'SERVICE_MODE_BATCH'), 'mode', 'mode must be one of SERVICE_MODE_REPLICATED, SERVICE_MODE_GLOBAL, SERVICE_MODE_REPLICATED_JOB, SERVICE_MODE_GLOBAL_JOB (got "SERVICE_MODE_BATCH")'],
    ['replicas with global-job', (s) => ((s.mode = ServiceMode.SERVICE_MODE_GLOBAL_JOB), (s.replicas = 2)), 'replicas', 'replicas is not allowed with global-job mode (got 2)'],
    ['maxConcurrent with replicated', (s) => (s.maxConcurrent = 2), 'maxConcurrent', 'maxConcurrent is only allowed with replicated-job mode (got 2 with replicated mode)'],
    ['negative maxConcurrent', (s) => ((s.mode = ServiceMode.SERVICE_MODE_REPLICATED_JOB), (s.maxConcurrent = -1)), 'maxConcurrent', 'maxConcurrent must be >= 0 (got -1)'],
    ['spread on an attribute that is not a label', (s) => (s.task.placement = { preferences: [{ spread: 'node.hostname' }] }), 'task.placement.preferences[0].spread', 'task.placement.preferences[0].spread must be node.labels.<name> or engine.labels.<name> (got "node.hostname")'],
    ['empty spread', (s) => (s.task.placement = { preferences: [{ spread: 'node.labels.' }] }), 'task.placement.preferences[0].spread', 'must be node.labels.<name>'],
    ['negative max replicas per node', (s) => (s.task.placement = { maxReplicas: -1 }), 'task.placement.maxReplicas', 'task.placement.maxReplicas must be >= 0 (got -1)'],
    ['max replicas per node with global', (s) => ((s.mode = ServiceMode.SERVICE_MODE_GLOBAL), (s.task.placement = { maxReplicas: 1 })), 'task.placement.maxReplicas', 'task.placement.maxReplicas (--replicas-max-per-node) is only allowed with replicated or replicated-job mode, not global'],
    ['UNRECOGNIZED mode', (s) => (s.mode = ServiceMode.UNRECOGNIZED), 'mode', 'mode must be one of'],
    ['target port 0', (s) => (s.endpoint = { ports: [{ targetPort: 0 }] }), 'endpoint.ports[0].targetPort', 'endpoint.ports[0].targetPort must be between 1 and 65535 (got 0)'],
    ['target port too big', (s) => (s.endpoint = { ports: [{ targetPort: 65536 }] }), 'endpoint.ports[0].targetPort', 'endpoint.ports[0].targetPort must be between 1 and 65535 (got 65536)'],
    ['published port too big', (s) => (s.endpoint = { ports: [{ targetPort: 80, publishedPort: 70000 }] }), 'endpoint.ports[0].publishedPort', 'endpoint.ports[0].publishedPort must be between 1 and 65535, or 0 to pick one (got 70000)'],
    ['negative published port', (s) => (s.endpoint = { ports: [{ targetPort: 80, publishedPort: -1 }] }), 'endpoint.ports[0].publishedPort', 'must be between 1 and 65535, or 0 to pick one (got -1)'],
    [
      'duplicate published port',
      (s) => (s.endpoint = { ports: [{ targetPort: 80, publishedPort: 8080 }, { targetPort: 81, publishedPort: 8080 }] }),
      'endpoint.ports[1].publishedPort',
      'endpoint.ports[1]: published port 8080/tcp is already used by endpoint.ports[0]',
    ],
    [
      'duplicate published port across publish modes',
      (s) => (s.endpoint = { ports: [{ targetPort: 80, publishedPort: 8080 }, { targetPort: 81, publishedPort: 8080, publishMode: PublishMode.PUBLISH_MODE_HOST }] }),
      'endpoint.ports[1].publishedPort',
      'published port 8080/tcp is already used',
    ],
    [
      'dnsrr with ingress port',
      (s) => (s.endpoint = { mode: EndpointMode.ENDPOINT_MODE_DNSRR, ports: [{ targetPort: 80 }] }),
      'endpoint.ports[0].publishMode',
      'endpoint.ports[0]: a port published in ingress mode cannot be used with dnsrr endpoint mode (publish it in host mode)',
    ],
    ['bad protocol', (s) => (s.endpoint = { ports: [{ targetPort: 80, protocol: 'sctp' }] }), 'endpoint.ports[0].protocol', 'endpoint.ports[0].protocol must be one of PORT_PROTOCOL_TCP, PORT_PROTOCOL_UDP (got "sctp")'],
    ['restart delay negative', (s) => (s.task.restart = { delayMs: -1 }), 'task.restart.delayMs', 'task.restart.delayMs must be >= 0 (got -1)'],
    ['restart window negative', (s) => (s.task.restart = { windowMs: -5 }), 'task.restart.windowMs', 'task.restart.windowMs must be >= 0 (got -5)'],
    ['restart attempts negative', (s) => (s.task.restart = { maxAttempts: -1 }), 'task.restart.maxAttempts', 'task.restart.maxAttempts must be >= 0 (got -1)'],
    ['restart condition unknown', (s) => (s.task.restart = { condition: 'always' }), 'task.restart.condition', 'task.restart.condition must be one of RESTART_CONDITION_ANY, RESTART_CONDITION_NONE, RESTART_CONDITION_ON_FAILURE (got "always")'],
    ['fractional delay', (s) => (s.task.restart = { delayMs: 1.5 }), 'task.restart.delayMs', 'task.restart.delayMs must be a whole number of milliseconds (got 1.5)'],
    ['update parallelism negative', (s) => (s.update = { parallelism: -1 }), 'update.parallelism', 'update.parallelism must be >= 0 (got -1)'],
    ['update failure ratio above 1', (s) => (s.update = { maxFailureRatio: 1.5 }), 'update.maxFailureRatio', 'update.maxFailureRatio must be between 0 and 1 (got 1.5)'],
    ['update failure ratio negative', (s) => (s.update = { maxFailureRatio: -0.1 }), 'update.maxFailureRatio', 'update.maxFailureRatio must be between 0 and 1 (got -0.1)'],
    ['update failure ratio NaN', (s) => (s.update = { maxFailureRatio: Number.NaN }), 'update.maxFailureRatio', 'update.maxFailureRatio must be between 0 and 1 (got NaN)'],
    ['update delay negative', (s) => (s.update = { delayMs: -1 }), 'update.delayMs', 'update.delayMs must be >= 0 (got -1)'],
    ['update monitor negative', (s) => (s.update = { monitorMs: -1 }), 'update.monitorMs', 'update.monitorMs must be >= 0 (got -1)'],
    ['rollback order unknown', (s) => (s.rollback = { order: 'random' }), 'rollback.order', 'rollback.order must be one of UPDATE_ORDER_STOP_FIRST, UPDATE_ORDER_START_FIRST (got "random")'],
    ['rollback failure action unknown', (s) => (s.rollback = { failureAction: 'explode' }), 'rollback.failureAction', 'rollback.failureAction must be one of'],
    ['mount target relative', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_VOLUME, target: 'data' }]), 'task.container.mounts[0].target', 'task.container.mounts[0].target must be an absolute path (got "data")'],
    ['mount target missing', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_VOLUME }]), 'task.container.mounts[0].target', 'task.container.mounts[0].target must be provided'],
    ['mount target root', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_BIND, source: '/x', target: '/' }]), 'task.container.mounts[0].target', 'task.container.mounts[0].target must not be "/"'],
    ['bind source relative', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_BIND, source: 'data', target: '/data' }]), 'task.container.mounts[0].source', 'task.container.mounts[0].source of a bind mount must be an absolute path (got "data")'],
    ['bind source missing', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_BIND, target: '/data' }]), 'task.container.mounts[0].source', 'source of a bind mount must be an absolute path (got "")'],
    ['tmpfs with source', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_TMPFS, source: '/x', target: '/tmp' }]), 'task.container.mounts[0].source', 'task.container.mounts[0].source must be empty for a tmpfs mount (got "/x")'],
    ['bad volume name', (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_VOLUME, source: 'a/b', target: '/d' }]), 'task.container.mounts[0].source', 'is not a valid volume name'],
    [
      'duplicate mount target',
      (s) => (s.task.container.mounts = [{ type: MountType.MOUNT_TYPE_TMPFS, target: '/data' }, { type: MountType.MOUNT_TYPE_TMPFS, target: '/data/' }]),
      'task.container.mounts[1].target',
      'task.container.mounts[1].target "/data/" is already used by task.container.mounts[0]',
    ],
    ['health bad kind', (s) => (s.task.container.healthcheck = { test: ['RUN', 'x'] }), 'task.container.healthcheck.test', 'task.container.healthcheck.test must start with "NONE", "CMD" or "CMD-SHELL" (got "RUN")'],
    ['health CMD without command', (s) => (s.task.container.healthcheck = { test: ['CMD'] }), 'task.container.healthcheck.test', 'task.container.healthcheck.test ["CMD", ...] needs a command'],
    ['health CMD-SHELL with two args', (s) => (s.task.container.healthcheck = { test: ['CMD-SHELL', 'a', 'b'] }), 'task.container.healthcheck.test', 'needs exactly one shell command'],
    ['health NONE with args', (s) => (s.task.container.healthcheck = { test: ['NONE', 'x'] }), 'task.container.healthcheck.test', 'task.container.healthcheck.test ["NONE"] takes no arguments'],
    ['health negative interval', (s) => (s.task.container.healthcheck = { test: ['NONE'], intervalMs: -1 }), 'task.container.healthcheck.intervalMs', 'task.container.healthcheck.intervalMs must be >= 0 (got -1)'],
    ['health negative retries', (s) => (s.task.container.healthcheck = { retries: -1 }), 'task.container.healthcheck.retries', 'task.container.healthcheck.retries must be >= 0 (got -1)'],
    ['dns server not an IP', (s) => (s.task.container.dnsConfig = { nameservers: ['dns.example'] }), 'task.container.dnsConfig.nameservers[0]', 'task.container.dnsConfig.nameservers[0] must be an IP address (got "dns.example")'],
    ['dns search not a domain', (s) => (s.task.container.dnsConfig = { search: ['a..b'] }), 'task.container.dnsConfig.search[0]', 'task.container.dnsConfig.search[0] is not a DNS domain (got "a..b")'],
    ['dns option with a space', (s) => (s.task.container.dnsConfig = { options: ['ndots 2'] }), 'task.container.dnsConfig.options[0]', 'task.container.dnsConfig.options[0] must look like NAME or NAME:VALUE (got "ndots 2")'],
    ['group with a space', (s) => (s.task.container.groups = ['my group']), 'task.container.groups[0]', 'task.container.groups[0] must be a group name or number (got "my group")'],
    ['oom score adj too low', (s) => (s.task.container.oomScoreAdj = -1001), 'task.container.oomScoreAdj', 'task.container.oomScoreAdj must be between -1000 and 1000 (got -1001)'],
    ['pids limit below -1', (s) => (s.task.resources = { limits: { pids: -2 } }), 'task.resources.limits.pids', 'task.resources.limits.pids must be >= -1 (got -2)'],
    ['pids reservation', (s) => (s.task.resources = { reservations: { pids: 5 } }), 'task.resources.reservations.pids', 'task.resources.reservations.pids cannot be reserved, only limited (got 5)'],
    ['health start interval negative', (s) => (s.task.container.healthcheck = { startIntervalMs: -1 }), 'task.container.healthcheck.startIntervalMs', 'task.container.healthcheck.startIntervalMs must be >= 0 (got -1)'],
    [
      'memory reservation above limit',
      (s) => (s.task.resources = { limits: { memoryBytes: 100 }, reservations: { memoryBytes: 200 } }),
      'task.resources.reservations.memoryBytes',
      'task.resources.reservations.memoryBytes (200) must not exceed task.resources.limits.memoryBytes (100)',
    ],
    [
      'cpu reservation above limit',
      (s) => (s.task.resources = { limits: { nanoCpus: 5e8 }, reservations: { nanoCpus: 1e9 } }),
      'task.resources.reservations.nanoCpus',
      'task.resources.reservations.nanoCpus (1000000000) must not exceed task.resources.limits.nanoCpus (500000000)',
    ],
    ['negative memory limit', (s) => (s.task.resources = { limits: { memoryBytes: -1 } }), 'task.resources.limits.memoryBytes', 'task.resources.limits.memoryBytes must be >= 0 (got -1)'],
    ['bad constraint', (s) => (s.task.placement = { constraints: ['node.role==manager', 'node.labels.x=y'] }), 'task.placement.constraints[1]', 'constraint "node.labels.x=y" must use == or !='],
    ['unknown constraint key', (s) => (s.task.placement = { constraints: ['node.zone==a'] }), 'task.placement.constraints[0]', 'constraint "node.zone==a": unknown key "node.zone"'],
    ['network without target', (s) => (s.task.networks = [{}]), 'task.networks[0].target', 'task.networks[0].target must name a network'],
    ['network attached twice', (s) => (s.task.networks = [{ target: 'n' }, { target: 'n' }]), 'task.networks[1].target', 'task.networks[1].target: network "n" is already attached by task.networks[0]'],
    ['bad alias', (s) => (s.task.networks = [{ target: 'n', aliases: ['a b'] }]), 'task.networks[0].aliases[0]', 'task.networks[0].aliases[0] must be a non-empty name without spaces (got "a b")'],
    ['env without =', (s) => (s.task.container.env = ['FOO']), 'task.container.env[0]', 'task.container.env[0] must look like NAME=value (got "FOO")'],
    ['env without name', (s) => (s.task.container.env = ['A=1', '=x']), 'task.container.env[1]', 'task.container.env[1] must look like NAME=value (got "=x")'],
    ['relative working dir', (s) => (s.task.container.dir = 'srv'), 'task.container.dir', 'task.container.dir must be an absolute path (got "srv")'],
    ['negative stop grace', (s) => (s.task.container.stopGracePeriodMs = -1), 'task.container.stopGracePeriodMs', 'task.container.stopGracePeriodMs must be >= 0 (got -1)'],
    ['secret without name or id', (s) => (s.task.container.secrets = [{ target: 'x' }]), 'task.container.secrets[0]', 'task.container.secrets[0] must name a secret (secretName or secretId)'],
    ['secret target escapes', (s) => (s.task.container.secrets = [{ secretName: 's', target: '../etc/passwd' }]), 'task.container.secrets[0].target', 'must not contain ".."'],
    ['secret target twice', (s) => (s.task.container.secrets = [{ secretName: 's' }, { secretName: 't', target: 's' }]), 'task.container.secrets[1].target', 'task.container.secrets[1].target "s" is already used by task.container.secrets[0]'],
    ['secret uid not numeric', (s) => (s.task.container.secrets = [{ secretName: 's', uid: 'root' }]), 'task.container.secrets[0].uid', 'must be a numeric user id (got "root")'],
    ['secret mode too wide', (s) => (s.task.container.secrets = [{ secretName: 's', mode: 0o4777 }]), 'task.container.secrets[0].mode', 'must be a file mode between 0 and 0777'],
    ['negative force update', (s) => (s.task.forceUpdate = -1), 'task.forceUpdate', 'task.forceUpdate must be >= 0 (got -1)'],
  ])('%s', (_name, patch, field, message) => {
    const err = firstError(spec(patch));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });
});

describe('checkServiceSpec', () => {
  it('reports every problem, in field order', () => {
    const { problems } = checkServiceSpec({
      annotations: { name: '' },
      task: { container: { image: 'UPPER' }, restart: { delayMs: -1 } },
      replicas: -2,
      update: { maxFailureRatio: 2 },
      endpoint: { ports: [{ targetPort: 0 }] },
    });
    expect(problems.map((e) => e.field)).toEqual([
      'annotations.name',
      'replicas',
      'task.container.image',
      'task.restart.delayMs',
      'update.maxFailureRatio',
      'endpoint.ports[0].targetPort',
    ]);
  });

  it('validateServiceSpec throws the first of them', () => {
    expect(() => validateServiceSpec({ annotations: { name: 'ok' }, replicas: -2, task: { container: { image: '' } } })).toThrow('replicas must be >= 0');
  });
});
