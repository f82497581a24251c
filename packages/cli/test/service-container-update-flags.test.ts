// service update's counterparts of create-time settings: only what a flag names changes, with
// docker's add/rm rules; the result is what the daemon's validation accepts.
import { describe, expect, it } from 'vitest';
import { EndpointMode, MountType, RestartCondition, validateServiceSpec } from '@flotilla/api';
import { serviceSpecFromFlags, type ServiceCreateOptions } from '../src/commands/service-flags.js';
import { applyUpdateFlags, type ServiceUpdateOptions } from '../src/commands/service-update-flags.js';

const base: ServiceCreateOptions = { constraint: [], env: [], label: [], containerLabel: ['team=a', 'tier=web'], mount: ['type=bind,source=/srv/a,target=/a', 'type=tmpfs,target=/scratch'] };
const current = validateServiceSpec(
  serviceSpecFromFlags({ ...base, name: 'web', limitCpu: '1', reserveMemory: '64M', restartCondition: 'on-failure', user: 'app', workdir: '/w', hostname: 'h1', entrypoint: 'sh -c', stopGracePeriod: '5s' }, 'img', []),
);
const none: ServiceUpdateOptions = { envAdd: [], envRm: [], constraintAdd: [], constraintRm: [], labelAdd: [], labelRm: [] };
const update = (o: Partial<ServiceUpdateOptions>) => validateServiceSpec(applyUpdateFlags(current, { ...none, ...o }));

describe('service update: create-time settings', () => {
  it('changes nothing it is not told to', () => {
    expect(update({})).toEqual(current);
  });

  it('--mount-add replaces a mount of the same target and adds new ones; --mount-rm removes by target and wins', () => {
    const next = update({ mountAdd: ['type=bind,source=/srv/b,target=/a,readonly', 'type=volume,source=data,target=/data'], mountRm: ['/scratch'] });
    expect(next.task?.container?.mounts.map((m) => [m.type, m.source, m.target, m.readOnly])).toEqual([
      [MountType.MOUNT_TYPE_BIND, '/srv/b', '/a', true],
      [MountType.MOUNT_TYPE_VOLUME, 'data', '/data', false],
    ]);
    expect(update({ mountAdd: ['type=volume,source=x,target=/x'], mountRm: ['/x'] }).task?.container?.mounts.map((m) => m.target)).toEqual(['/a', '/scratch']);
    expect(() => update({ mountAdd: ['type=volume,source=x,target=/x', 'type=volume,source=y,target=/x'] })).toThrow('duplicate mount target /x');
    expect(() => update({ mountAdd: ['type=nfs,target=/x'] })).toThrow('invalid argument "type=nfs,target=/x" for "--mount-add" flag: unknown mount type');
  });

  it('--limit-*/--reserve-* set one value each; 0 removes it', () => {
    const next = update({ limitMemory: '128M', reserveCpu: '0.5', limitCpu: '0' });
    expect(next.task?.resources?.limits).toMatchObject({ nanoCpus: 0, memoryBytes: 128 * 2 ** 20 });
    expect(next.task?.resources?.reservations).toMatchObject({ nanoCpus: 5e8, memoryBytes: 64 * 2 ** 20 });
    expect(() => update({ limitCpu: 'lots' })).toThrow('invalid argument "lots" for "--limit-cpu" flag');
  });

  it('--restart-* change only the fields named', () => {
    const next = update({ restartCondition: 'any', restartMaxAttempts: '3' });
    expect(next.task?.restart).toMatchObject({ condition: RestartCondition.RESTART_CONDITION_ANY, maxAttempts: 3, delayMs: current.task?.restart?.delayMs });
    expect(update({ restartDelay: '2s', restartWindow: '1m' }).task?.restart).toMatchObject({ condition: RestartCondition.RESTART_CONDITION_ON_FAILURE, delayMs: 2000, windowMs: 60_000 });
    expect(() => update({ restartCondition: 'always' })).toThrow('invalid argument "always" for "--restart-condition" flag');
  });

  it('--user, --workdir, --hostname, --entrypoint, --stop-grace-period', () => {
    const c = update({ user: '1000:1000', workdir: '/srv', hostname: 'h2', entrypoint: '/bin/run --fast', stopGracePeriod: '30s' }).task?.container;
    expect([c?.user, c?.dir, c?.hostname, c?.command, c?.stopGracePeriodMs]).toEqual(['1000:1000', '/srv', 'h2', ['/bin/run', '--fast'], 30_000]);
    expect(update({ entrypoint: '' }).task?.container?.command).toEqual([]);
    expect(() => update({ stopGracePeriod: 'soon' })).toThrow('for "--stop-grace-period" flag');
  });

  it('--endpoint-mode', () => {
    expect(update({ endpointMode: 'dnsrr' }).endpoint?.mode).toBe(EndpointMode.ENDPOINT_MODE_DNSRR);
    expect(() => update({ endpointMode: 'rr' })).toThrow(/--endpoint-mode/);
  });

  it('--container-label-add/--container-label-rm, remove winning as in docker', () => {
    expect(update({ containerLabelAdd: ['tier=db', 'new=1'], containerLabelRm: ['team'] }).task?.container?.labels).toEqual({ tier: 'db', new: '1' });
    expect(update({ containerLabelAdd: ['x=1'], containerLabelRm: ['x'] }).task?.container?.labels).toEqual({ team: 'a', tier: 'web' });
  });

  it('leaves the current spec as it was', () => {
    const before = structuredClone(current);
    update({ mountRm: ['/a'], limitCpu: '2', restartCondition: 'none', containerLabelRm: ['team'], user: 'root' });
    expect(current).toEqual(before);
  });
});
