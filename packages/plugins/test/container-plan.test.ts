import { describe, expect, it } from 'vitest';
import { hostPathFor, pluginContainerPlan, validatePluginConfig } from '../src/index.js';

describe('plugin container plan', () => {
  const config = validatePluginConfig({
    description: 'd',
    entrypoint: ['/plugin', '--serve'],
    interface: { types: ['docker.volumedriver/1.0'], socket: 'v.sock' },
    network: { type: 'host' },
    env: [{ name: 'A', value: '1' }],
    args: { name: 'args', value: ['-x'] },
    mounts: [{ name: 'vols', source: '/var/lib/vols', destination: '/volumes', type: 'bind' }],
    linux: { capabilities: ['CAP_SYS_ADMIN'], devices: [{ path: '/dev/fuse' }] },
  });
  const plan = pluginContainerPlan({ name: 'flotilla-plugin-x', image: 'img', config, socketDir: '/data/plugins/x/run', propagatedDir: '/data/plugins/x/propagated', labels: { a: 'b' } });

  it('grants exactly the configured privileges and nothing else', () => {
    const host = plan.create['HostConfig'] as Record<string, unknown>;
    expect(host['NetworkMode']).toBe('host');
    expect(host['CapAdd']).toEqual(['SYS_ADMIN']);
    expect(host['Devices']).toEqual([{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    expect(host['Privileged']).toBeUndefined();
    expect(host['Mounts']).toEqual([
      { Type: 'bind', Source: '/data/plugins/x/run', Target: '/run/docker/plugins' },
      { Type: 'bind', Source: '/var/lib/vols', Target: '/volumes', ReadOnly: false },
    ]);
    expect(plan.create['Entrypoint']).toEqual(['/plugin', '--serve']);
    expect(plan.create['Cmd']).toEqual(['-x']);
    expect(plan.create['Env']).toEqual(['A=1']);
    expect(plan.hostSocket).toBe('/data/plugins/x/run/v.sock');
  });

  it('a plugin without a network type gets none', () => {
    const isolated = pluginContainerPlan({ name: 'n', image: 'i', config: { ...config, network: { type: '' } }, socketDir: '/s', propagatedDir: '/p', labels: {} });
    expect((isolated.create['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe('none');
  });

  it('maps paths inside the plugin to host paths through its binds', () => {
    expect(hostPathFor('/volumes/v1', plan.binds)).toBe('/var/lib/vols/v1');
    expect(hostPathFor('/volumes', plan.binds)).toBe('/var/lib/vols');
    expect(hostPathFor('/volumes-other/v1', plan.binds)).toBeUndefined();
    expect(hostPathFor('/etc', plan.binds)).toBeUndefined();
    expect(hostPathFor('/volumes/../etc', plan.binds)).toBeUndefined();
    expect(hostPathFor('relative', plan.binds)).toBeUndefined();
  });
});
