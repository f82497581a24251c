import { describe, expect, it } from 'vitest';
import {
  MountType,
  NodeRole,
  NodeState,
  RestartCondition,
  Service,
  ServiceMode,
  Task,
  TaskState,
  validateServiceSpec,
  type NodeView,
} from '@flotilla/api';
import { formatNodeList } from '../src/commands/node.js';
import { parseMount, serviceSpecFromFlags, type ServiceCreateOptions } from '../src/commands/service-flags.js';
import { progressBar, progressBlock, progressOf } from '../src/commands/service-progress.js';
import { formatServiceList, parseScaleArgs } from '../src/commands/service.js';
import { taskFilters } from '../src/commands/task-list.js';
import { TASK_LIST } from '../src/output/swarm-list-contexts.js';
import { humanDuration } from '../src/output/human-duration.js';
import { orderTasks } from '../src/output/task-format.js';
import { CliError } from '../src/errors.js';

const noFlags: ServiceCreateOptions = { constraint: [], env: [], label: [], containerLabel: [], mount: [] };

describe('service create flags', () => {
  it('maps flags, IMAGE and COMMAND onto a spec the api accepts', () => {
    const spec = validateServiceSpec(
      serviceSpecFromFlags(
        {
          ...noFlags,
          name: 'web',
          replicas: '3',
          env: ['A=1'],
          label: ['tier=front'],
          constraint: ['node.role==manager'],
          restartCondition: 'on-failure',
          restartDelay: '2s',
          restartMaxAttempts: '4',
          limitMemory: '64M',
          reserveCpu: '0.5',
          stopGracePeriod: '3s',
          mount: ['type=bind,source=/tmp,target=/data,readonly'],
          workdir: '/data',
        },
        'flotilla/busybox:latest',
        ['sleep', '1000'],
      ),
    );
    expect(spec.annotations).toEqual({ name: 'web', labels: { tier: 'front' } });
    expect(spec.replicas).toBe(3);
    expect(spec.task?.container).toMatchObject({ image: 'flotilla/busybox:latest', args: ['sleep', '1000'], env: ['A=1'], dir: '/data', stopGracePeriodMs: 3000 });
    expect(spec.task?.container?.mounts).toEqual([{ type: MountType.MOUNT_TYPE_BIND, source: '/tmp', target: '/data', readOnly: true, volumeDriver: '', volumeOptions: {} }]);
    expect(spec.task?.restart).toMatchObject({ condition: RestartCondition.RESTART_CONDITION_ON_FAILURE, delayMs: 2000, maxAttempts: 4 });
    expect(spec.task?.resources?.limits?.memoryBytes).toBe(64 * 1024 * 1024);
    expect(spec.task?.resources?.reservations?.nanoCpus).toBe(500_000_000);
    expect(spec.task?.placement?.constraints).toEqual(['node.role==manager']);
  });

  it('names an unnamed service and refuses bad flag values with exit 2', () => {
    expect(serviceSpecFromFlags(noFlags, 'img', []).annotations?.name).toMatch(/^service_[0-9a-f]{8}$/);
    const usage = (o: Partial<ServiceCreateOptions>) => {
      try {
        serviceSpecFromFlags({ ...noFlags, ...o }, 'img', []);
      } catch (err) {
        return err instanceof CliError ? `${err.exitCode} ${err.message}` : String(err);
      }
      return 'accepted';
    };
    expect(usage({ replicas: 'three' })).toBe('2 invalid argument "three" for "--replicas" flag: expected a whole number');
    expect(usage({ mode: 'everywhere' })).toMatch(/^2 invalid argument "everywhere" for "--mode"/);
    expect(usage({ mode: 'global', replicas: '2' })).toBe('2 replicas can only be used with replicated or replicated-job mode');
    expect(usage({ restartDelay: '5' })).toMatch(/^2 invalid argument "5" for "--restart-delay" flag/);
    expect(() => parseMount('source=/a')).toThrow(/target is required/);
  });

  it('parses a volume from a volume driver plugin with its options (docker --mount keys)', () => {
    expect(parseMount('type=volume,source=v,target=/data,volume-driver=local-dir,volume-opt=mode=0700,volume-opt=a=b=c')).toEqual({
      type: MountType.MOUNT_TYPE_VOLUME,
      source: 'v',
      target: '/data',
      readOnly: false,
      volumeDriver: 'local-dir',
      volumeOptions: { mode: '0700', a: 'b=c' },
    });
    expect(() => parseMount('type=volume,source=v,target=/d,volume-opt=novalue')).toThrow(/volume-opt must be key=value/);
    const spec = serviceSpecFromFlags({ ...noFlags, name: 'x', mount: ['type=bind,source=/a,target=/b,volume-driver=local-dir'] }, 'img', []);
    expect(() => validateServiceSpec(spec)).toThrow(/volume-driver and volume-opt apply only to type=volume mounts/);
  });

  it('leaves constraint checking to validateServiceSpec, which names the mistake', () => {
    expect(() => validateServiceSpec(serviceSpecFromFlags({ ...noFlags, name: 'x', constraint: ['node.foo=bar'] }, 'img', []))).toThrow(
      'constraint "node.foo=bar" must use == or !=',
    );
  });
});

describe('service scale, ps filters', () => {
  it('parses SERVICE=N and refuses anything else', () => {
    expect(parseScaleArgs(['web=5', 'db=0'])).toEqual([
      { service: 'web', replicas: 5 },
      { service: 'db', replicas: 0 },
    ]);
    expect(() => parseScaleArgs(['web'])).toThrow("invalid scale specifier 'web'");
    expect(() => parseScaleArgs(['web=-1'])).toThrow(CliError);
    expect(taskFilters(['desired-state=running']).desiredStates).toEqual([TaskState.TASK_STATE_RUNNING]);
    expect(() => taskFilters(['mode=x'])).toThrow("invalid filter 'mode'");
  });
});

const service = Service.fromPartial({ id: 'svc1234567890abcdefghijkl', spec: { annotations: { name: 'web' }, mode: ServiceMode.SERVICE_MODE_REPLICATED, replicas: 3, task: { container: { image: 'flotilla/busybox:latest' } } } });
const task = (id: string, slot: number, state: TaskState, desired = TaskState.TASK_STATE_RUNNING, createdAt = 1) =>
  Task.fromPartial({ id, slot, serviceId: service.id, serviceName: 'web', nodeId: 'n1', desiredState: desired, status: { state, timestamp: 10_000 }, meta: { createdAt }, spec: { container: { image: 'flotilla/busybox:latest' } } });

describe('progress and task tables', () => {
  it('counts running tasks per slot and converges only at exactly the replicas', () => {
    const p = progressOf(service, [task('a', 1, TaskState.TASK_STATE_RUNNING), task('b', 2, TaskState.TASK_STATE_STARTING)]);
    expect(p).toMatchObject({ running: 1, desired: 3, converged: false });
    expect(p.slots).toEqual([
      { key: '1/3', state: 'running' },
      { key: '2/3', state: 'starting' },
      { key: '3/3', state: 'new' },
    ]);
    const three = [1, 2, 3].map((s) => task(`t${s}`, s, TaskState.TASK_STATE_RUNNING));
    expect(progressOf(service, three).converged).toBe(true);
    // scaling down: a surplus task still running means not yet
    expect(progressOf(service, [...three, task('t4', 4, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_SHUTDOWN)]).converged).toBe(false);
  });

  it('draws docker-like bars for a terminal', () => {
    expect(progressBar('running')).toBe(`[${'='.repeat(49)}>]`);
    expect(progressBar('new')).toMatch(/^\[=*> +\]$/);
    expect(progressBar('new')).toHaveLength(52);
    expect(progressBar('rejected')).toBe('');
    const block = progressBlock(progressOf(service, [task('a', 1, TaskState.TASK_STATE_RUNNING)]));
    expect(block[0]).toBe('overall progress: 1 out of 3 tasks');
    expect(block[1]).toBe(`1/3: running   [${'='.repeat(49)}>]`);
  });

  it('gives up on a rejected task with its error', () => {
    const rejected = Task.fromPartial({ ...task('r', 1, TaskState.TASK_STATE_REJECTED), status: { state: TaskState.TASK_STATE_REJECTED, err: 'image x not found' } });
    expect(progressOf(service, [rejected]).failure).toBe('task web.1 was rejected: image x not found');
    // also when the restart supervisor has already marked it for shutdown
    expect(progressOf(service, [{ ...rejected, desiredState: TaskState.TASK_STATE_SHUTDOWN }]).failure).toBe('task web.1 was rejected: image x not found');
    // an older rejected task replaced by a newer one does not count
    expect(progressOf(service, [rejected, task('n', 1, TaskState.TASK_STATE_STARTING, TaskState.TASK_STATE_RUNNING, 5)]).failure).toBeUndefined();
  });

  it('prints ps rows newest first per slot, history under \\_, docker times', () => {
    const rows = orderTasks([task('old', 1, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_SHUTDOWN, 1), task('new', 1, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_RUNNING, 2)]);
    expect(rows.map((r) => [r.task.id, r.history])).toEqual([
      ['new', false],
      ['old', true],
    ]);
    const row = { task: rows[1]!.task, history: true, serviceName: 'web', nodeHostnames: { n1: 'host-1' }, now: 70_000, noTrunc: false, noResolve: false };
    expect(TASK_LIST.fields(row)).toEqual({ ID: 'old', Name: ' \\_ web.1', Image: 'flotilla/busybox:latest', Node: 'host-1', DesiredState: 'Shutdown', CurrentState: 'Failed About a minute ago', Error: '', Ports: '' });
    // --no-resolve: the service and node ids where their names would be
    expect(TASK_LIST.fields({ ...row, noResolve: true })).toMatchObject({ Name: ` \\_ ${service.id}.1`, Node: 'n1' });
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(5_000)).toBe('5 seconds');
    expect(humanDuration(3 * 3_600_000)).toBe('3 hours');
  });

  it('lists services and nodes the docker way', () => {
    expect(formatServiceList([{ service, runningTasks: 3, desiredTasks: 3, completedTasks: 0 }])).toBe(
      'ID             NAME      MODE         REPLICAS   IMAGE                     PORTS\nsvc123456789   web       replicated   3/3        flotilla/busybox:latest\n',
    );
    const view: NodeView = {
      node: { id: 'abc', role: NodeRole.NODE_ROLE_MANAGER, description: { hostname: 'h1', engine: { engineVersion: '20.10', labels: {}, plugins: [] } }, status: { state: NodeState.NODE_STATE_READY, message: '', addr: '' } },
      self: true,
      leader: true,
      reachable: true,
    };
    expect(formatNodeList([view])).toContain('abc *     h1         Ready     Active         Leader           20.10');
    expect(formatNodeList([view], { quiet: true })).toBe('abc\n');
  });
});
