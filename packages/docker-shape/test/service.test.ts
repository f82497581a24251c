// service inspect's JSON against Docker's swarm.Service (moby api/types/swarm): every field we
// have, under Docker's name, in Go's order, with Go's omitempty, durations in nanoseconds and
// times as RFC 3339.
import {
  EndpointMode,
  MountType,
  PortProtocol,
  PublishMode,
  RestartCondition,
  ServiceMode,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  validateServiceSpec,
  type Service,
} from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { dockerService, goTime } from '../src/index.js';

/** Order-sensitive: Go writes struct fields in declaration order. */
const same = (actual: unknown, expected: unknown) => expect(JSON.stringify(actual, null, 1)).toBe(JSON.stringify(expected, null, 1));

const T0 = Date.UTC(2026, 10, 25, 22, 0, 0, 123);

function fullService(): Service {
  const spec = validateServiceSpec({
    annotations: { name: 'web', labels: { z: '1', a: '2' } },
    mode: ServiceMode.SERVICE_MODE_REPLICATED,
    replicas: 3,
    task: {
      container: {
        image: 'flotilla/busybox:latest',
        command: ['/bin/sh'],
        args: ['-c', 'sleep 1d'],
        env: ['A=1'],
        labels: { 'c.l': 'v' },
        dir: '/srv',
        user: '1000:1000',
        hostname: 'h',
        mounts: [
          { type: MountType.MOUNT_TYPE_BIND, source: '/data', target: '/data', readOnly: true },
          { type: MountType.MOUNT_TYPE_VOLUME, source: 'vol', target: '/v', volumeDriver: 'local-dir', volumeOptions: { size: '1g' } },
        ],
        stopGracePeriodMs: 20_000,
        hasStopGracePeriod: true,
        healthcheck: { test: ['CMD-SHELL', 'true'], intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 1000, startIntervalMs: 500 },
        secrets: [{ secretId: 'sid', secretName: 'pw', target: 'pw', mode: 0o400 }],
        configs: [{ configId: 'cid', configName: 'conf', target: '/etc/conf' }],
        init: true,
        readOnly: true,
        capAdd: ['NET_ADMIN'],
        capDrop: ['MKNOD'],
        sysctls: { 'net.core.somaxconn': '1024' },
        ulimits: [{ name: 'nofile', soft: 10, hard: 20 }],
        hosts: ['10.0.0.9 db'],
        stopSignal: 'SIGQUIT',
        tty: true,
        openStdin: true,
        dnsConfig: { nameservers: ['10.0.0.2'], search: ['example.org'], options: ['ndots:2'] },
        groups: ['audio'],
        oomScoreAdj: 100,
      },
      resources: { limits: { nanoCpus: 1_500_000_000, memoryBytes: 1 << 30, pids: 50 }, reservations: { nanoCpus: 250_000_000, memoryBytes: 1 << 20 } },
      restart: { condition: RestartCondition.RESTART_CONDITION_ON_FAILURE, delayMs: 7000, maxAttempts: 4, windowMs: 60_000 },
      placement: { constraints: ['node.role==manager'] },
      networks: [{ target: 'net1', aliases: ['www'] }],
      logDriver: { name: 'json-file', options: { 'max-size': '1m' } },
      forceUpdate: 2,
    },
    update: { parallelism: 2, delayMs: 3000, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK, monitorMs: 4000, maxFailureRatio: 0.25, order: UpdateOrder.UPDATE_ORDER_START_FIRST },
    rollback: { parallelism: 0, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE },
    endpoint: { mode: EndpointMode.ENDPOINT_MODE_VIP, ports: [{ protocol: PortProtocol.PORT_PROTOCOL_UDP, targetPort: 53, publishedPort: 5353, publishMode: PublishMode.PUBLISH_MODE_HOST }] },
  });
  return {
    id: 'svc1',
    meta: { version: 42, createdAt: T0, updatedAt: T0 + 1000 },
    spec,
    previousSpec: undefined,
    endpoint: { spec: spec.endpoint, ports: [{ name: '', protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 30001, publishMode: PublishMode.PUBLISH_MODE_INGRESS }], virtualIps: [{ networkId: 'ing', addr: '10.255.0.5/16' }] },
    updateStatus: { state: UpdateState.UPDATE_STATE_COMPLETED, startedAt: T0, completedAt: T0 + 60_000, message: 'update completed' },
    specVersion: 3,
    dependencies: undefined,
  };
}

describe('dockerService', () => {
  it('maps every field to Docker’s name, order and units', () => {
    const ns = 1_000_000;
    same(dockerService(fullService()), {
      ID: 'svc1',
      Version: { Index: 42 },
      CreatedAt: '2026-11-25T22:00:00.123Z',
      UpdatedAt: '2026-11-25T22:00:01.123Z',
      Spec: {
        Name: 'web',
        Labels: { a: '2', z: '1' },
        TaskTemplate: {
          ContainerSpec: {
            Image: 'flotilla/busybox:latest',
            Labels: { 'c.l': 'v' },
            Command: ['/bin/sh'],
            Args: ['-c', 'sleep 1d'],
            Hostname: 'h',
            Env: ['A=1'],
            Dir: '/srv',
            User: '1000:1000',
            Groups: ['audio'],
            Init: true,
            StopSignal: 'SIGQUIT',
            TTY: true,
            OpenStdin: true,
            ReadOnly: true,
            Mounts: [
              { Type: 'bind', Source: '/data', Target: '/data', ReadOnly: true },
              { Type: 'volume', Source: 'vol', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local-dir', Options: { size: '1g' } } } },
            ],
            StopGracePeriod: 20_000 * ns,
            Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5000 * ns, Timeout: 2000 * ns, StartPeriod: 1000 * ns, StartInterval: 500 * ns, Retries: 3 },
            Hosts: ['10.0.0.9 db'],
            DNSConfig: { Nameservers: ['10.0.0.2'], Search: ['example.org'], Options: ['ndots:2'] },
            Secrets: [{ File: { Name: 'pw', UID: '0', GID: '0', Mode: 0o400 }, SecretID: 'sid', SecretName: 'pw' }],
            Configs: [{ File: { Name: '/etc/conf', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: 'cid', ConfigName: 'conf' }],
            Isolation: 'default',
            Sysctls: { 'net.core.somaxconn': '1024' },
            CapabilityAdd: ['NET_ADMIN'],
            CapabilityDrop: ['MKNOD'],
            Ulimits: [{ Name: 'nofile', Hard: 20, Soft: 10 }],
            OomScoreAdj: 100,
          },
          Resources: { Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 1 << 30, Pids: 50 }, Reservations: { NanoCPUs: 250_000_000, MemoryBytes: 1 << 20 } },
          RestartPolicy: { Condition: 'on-failure', Delay: 7000 * ns, MaxAttempts: 4, Window: 60_000 * ns },
          Placement: { Constraints: ['node.role==manager'] },
          Networks: [{ Target: 'net1', Aliases: ['www'] }],
          LogDriver: { Name: 'json-file', Options: { 'max-size': '1m' } },
          ForceUpdate: 2,
          Runtime: 'container',
        },
        Mode: { Replicated: { Replicas: 3 } },
        UpdateConfig: { Parallelism: 2, Delay: 3000 * ns, FailureAction: 'rollback', Monitor: 4000 * ns, MaxFailureRatio: 0.25, Order: 'start-first' },
        RollbackConfig: { Parallelism: 0, FailureAction: 'continue', Monitor: 5000 * ns, MaxFailureRatio: 0, Order: 'stop-first' },
        EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' }] },
      },
      Endpoint: {
        Spec: { Mode: 'vip', Ports: [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' }] },
        Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30001, PublishMode: 'ingress' }],
        VirtualIPs: [{ NetworkID: 'ing', Addr: '10.255.0.5/16' }],
      },
      UpdateStatus: { State: 'completed', StartedAt: '2026-11-25T22:00:00.123Z', CompletedAt: '2026-11-25T22:01:00.123Z', Message: 'update completed' },
    });
  });

  it('a minimal service: Go omits empty fields but keeps structs, Labels, Init and the defaults docker sends', () => {
    const spec = validateServiceSpec({ annotations: { name: 'min' }, task: { container: { image: 'busybox' } } });
    const out = dockerService({ id: 'm', meta: { version: 0, createdAt: 0, updatedAt: 0 }, spec, previousSpec: undefined, endpoint: undefined, updateStatus: undefined, specVersion: 0, dependencies: undefined });
    same(out, {
      ID: 'm',
      Version: {},
      CreatedAt: '0001-01-01T00:00:00Z',
      UpdatedAt: '0001-01-01T00:00:00Z',
      Spec: {
        Name: 'min',
        Labels: {},
        TaskTemplate: {
          ContainerSpec: { Image: 'busybox', Init: false, StopGracePeriod: 10_000_000_000, DNSConfig: {}, Isolation: 'default' },
          Resources: { Limits: {}, Reservations: {} },
          RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 },
          Placement: {},
          ForceUpdate: 0,
          Runtime: 'container',
        },
        Mode: { Replicated: { Replicas: 1 } },
        UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5_000_000_000, MaxFailureRatio: 0, Order: 'stop-first' },
        RollbackConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5_000_000_000, MaxFailureRatio: 0, Order: 'stop-first' },
        EndpointSpec: { Mode: 'vip' },
      },
      Endpoint: { Spec: { Mode: 'vip' } },
    });
  });

  it('global mode, PreviousSpec, ServiceStatus and dnsrr', () => {
    const spec = validateServiceSpec({ annotations: { name: 'g' }, mode: ServiceMode.SERVICE_MODE_GLOBAL, endpoint: { mode: EndpointMode.ENDPOINT_MODE_DNSRR }, task: { container: { image: 'busybox' } } });
    const out = dockerService({ id: 'g', meta: { version: 7, createdAt: T0, updatedAt: T0 }, spec, previousSpec: spec, endpoint: undefined, updateStatus: undefined, specVersion: 1, dependencies: undefined }, { running: 2, desired: 3 });
    expect((out.Spec as { Mode: unknown }).Mode).toEqual({ Global: {} });
    expect(out.PreviousSpec).toEqual(out.Spec);
    expect(out.ServiceStatus).toEqual({ RunningTasks: 2, DesiredTasks: 3, CompletedTasks: 0 });
    expect((out.Endpoint as { Spec: unknown }).Spec).toEqual({ Mode: 'dnsrr' });
    expect(Object.keys(out)).toEqual(['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Spec', 'PreviousSpec', 'Endpoint', 'ServiceStatus']);
  });

  it("times are Go's RFC 3339 with trailing zeros of the fraction trimmed", () => {
    expect(goTime(Date.UTC(2016, 5, 7, 21, 5, 51, 880))).toBe('2016-06-07T21:05:51.88Z');
    expect(goTime(Date.UTC(2016, 5, 7, 21, 5, 51, 0))).toBe('2016-06-07T21:05:51Z');
    expect(goTime(Date.UTC(2016, 5, 7, 21, 5, 51, 1))).toBe('2016-06-07T21:05:51.001Z');
    expect(goTime(0)).toBe('0001-01-01T00:00:00Z');
  });
});
