import { describe, expect, it } from 'vitest';
import {
  EndpointMode,
  MountType,
  PortProtocol,
  PublishMode,
  RestartCondition,
  Service,
  ServiceMode,
  Task,
  TaskState,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  newId,
  DependencyCondition,
  type ServiceSpec,
} from '../src/index.js';

// Every field set to a non-default value, so a field the codec drops shows up.
function fullSpec(): ServiceSpec {
  return {
    annotations: { name: 'frontend', labels: { tier: 'web', 'com.example.team': 'a' } },
    task: {
      container: {
        image: 'registry:5000/a/b:tag',
        command: ['/bin/sh', '-c'],
        args: ['echo hi && sleep 1000'],
        env: ['A=1', 'B=two'],
        labels: { c: 'd' },
        dir: '/srv',
        user: '1000:1000',
        hostname: 'web-{{.Task.Slot}}',
        mounts: [
          { type: MountType.MOUNT_TYPE_BIND, source: '/data', target: '/data', readOnly: true, volumeDriver: '', volumeOptions: {} },
          { type: MountType.MOUNT_TYPE_TMPFS, source: '', target: '/tmp', readOnly: false, volumeDriver: '', volumeOptions: {} },
        ],
        stopGracePeriodMs: 12_000,
        healthcheck: { test: ['CMD-SHELL', 'wget -q localhost'], intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 1000, startIntervalMs: 500 },
        secrets: [{ secretId: newId(), secretName: 'db-pass', target: 'db', uid: '0', gid: '0', mode: 0o400 }],
        hasStopGracePeriod: true,
        configs: [{ configId: newId(), configName: 'nginx.conf', target: '/etc/nginx/nginx.conf', uid: '101', gid: '101', mode: 0o440 }],
        init: true,
        readOnly: true,
        capAdd: ['NET_ADMIN'],
        capDrop: ['ALL'],
        sysctls: { 'net.core.somaxconn': '1024' },
        ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
        hosts: ['10.0.0.9 db.local'],
        stopSignal: 'SIGQUIT',
        tty: true,
        openStdin: true,
        dnsConfig: { nameservers: ['10.0.0.2'], search: ['example.org'], options: ['ndots:2'] },
        groups: ['audio', '1001'],
        oomScoreAdj: -500,
      },
      logDriver: { name: 'json-file', options: { 'max-size': '10m' } },
      resources: {
        limits: { nanoCpus: 1_500_000_000, memoryBytes: 512 * 1024 * 1024, pids: 100 },
        reservations: { nanoCpus: 250_000_000, memoryBytes: 64 * 1024 * 1024, pids: 0 },
      },
      restart: { condition: RestartCondition.RESTART_CONDITION_ON_FAILURE, delayMs: 7000, maxAttempts: 4, windowMs: 60_000 },
      placement: { constraints: ['node.labels.storage==ssd', 'node.role!=manager'], preferences: [{ spread: 'node.labels.zone' }], maxReplicas: 2 },
      networks: [{ target: 'mynet', aliases: ['web', 'www'] }],
      forceUpdate: 2,
    },
    dependsOn: [{ service: 'db', condition: DependencyCondition.DEPENDENCY_CONDITION_HEALTHY }],
    mode: ServiceMode.SERVICE_MODE_REPLICATED,
    replicas: 10,
    maxConcurrent: 4,
    update: {
      parallelism: 2,
      delayMs: 3000,
      failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK,
      monitorMs: 4000,
      maxFailureRatio: 0.25, // exactly representable as float32
      order: UpdateOrder.UPDATE_ORDER_START_FIRST,
    },
    rollback: {
      parallelism: 1,
      delayMs: 0,
      failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE,
      monitorMs: 5000,
      maxFailureRatio: 0.5,
      order: UpdateOrder.UPDATE_ORDER_STOP_FIRST,
    },
    endpoint: {
      mode: EndpointMode.ENDPOINT_MODE_DNSRR,
      ports: [
        { name: 'http', protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 8080, publishMode: PublishMode.PUBLISH_MODE_HOST },
        { name: 'dns', protocol: PortProtocol.PORT_PROTOCOL_UDP, targetPort: 53, publishedPort: 0, publishMode: PublishMode.PUBLISH_MODE_INGRESS },
      ],
    },
  };
}

describe('generated codecs round-trip', () => {
  it('a full Service survives encode/decode unchanged', () => {
    const spec = fullSpec();
    const service: Service = {
      id: newId(),
      meta: { version: 42, createdAt: 1_764_000_000_000, updatedAt: 1_764_000_100_000 },
      spec,
      previousSpec: { ...spec, replicas: 3 },
      endpoint: {
        spec: spec.endpoint,
        ports: [{ name: 'http', protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 30001, publishMode: PublishMode.PUBLISH_MODE_INGRESS }],
        virtualIps: [{ networkId: newId(), addr: '10.0.0.2/24' }],
      },
      updateStatus: { state: UpdateState.UPDATE_STATE_ROLLBACK_PAUSED, startedAt: 1_764_000_000_500, completedAt: 0, message: 'update paused due to failure' },
      specVersion: 7,
      jobStatus: { jobIteration: 3, lastExecution: 1_764_000_000_700 },
    };
    const bytes = Service.encode(service).finish();
    expect(bytes.length).toBeGreaterThan(200);
    expect(Service.decode(bytes)).toEqual(service);
    // JSON form too: the CLI and logs use it.
    expect(Service.fromJSON(Service.toJSON(service))).toEqual(service);
  });

  it('a full Task survives encode/decode unchanged', () => {
    const task: Task = {
      id: newId(),
      meta: { version: 9, createdAt: 1, updatedAt: 2 },
      spec: fullSpec().task,
      serviceId: newId(),
      slot: 3,
      nodeId: newId(),
      annotations: { name: 'frontend.3.x', labels: { a: 'b' } },
      serviceName: 'frontend',
      status: {
        timestamp: 1_764_000_000_123,
        state: TaskState.TASK_STATE_RUNNING,
        message: 'started',
        err: '',
        container: { containerId: 'c0ffee', pid: 1234, exitCode: -1 },
        pendingReason: 'no suitable node (1 node not available for new tasks)',
      },
      desiredState: TaskState.TASK_STATE_SHUTDOWN,
      networks: [{ networkId: newId(), addresses: ['10.0.0.5/24'], aliases: ['web'] }],
      endpoint: { spec: fullSpec().endpoint, ports: [], virtualIps: [] },
      specVersion: 7,
      jobIteration: 3,
    };
    const bytes = Task.encode(task).finish();
    expect(Task.decode(bytes)).toEqual(task);
    expect(Task.fromJSON(Task.toJSON(task))).toEqual(task);
  });

  it('enum values keep their numeric wire values (task states are ordered)', () => {
    const decoded = Task.decode(Task.encode(Task.fromPartial({ desiredState: TaskState.TASK_STATE_REMOVE })).finish());
    expect(decoded.desiredState).toBe(TaskState.TASK_STATE_REMOVE);
  });
});
