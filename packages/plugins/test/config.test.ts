import { describe, expect, it } from 'vitest';
import { applySettings, parsePluginConfig, PluginConfigError, PluginSettingError, validatePluginConfig } from '../src/index.js';

const sshfsLike = {
  description: 'sshFS plugin for Docker',
  documentation: 'https://docs.docker.com/engine/extend/plugins/',
  entrypoint: ['/docker-volume-sshfs'],
  env: [{ name: 'DEBUG', settable: ['value'], value: '0' }, { name: 'FIXED', value: 'x' }],
  interface: { socket: 'sshfs.sock', types: ['docker.volumedriver/1.0'] },
  linux: { capabilities: ['CAP_SYS_ADMIN'], devices: [{ name: 'fuse', path: '/dev/fuse', settable: ['path'] }] },
  mounts: [{ name: 'state', destination: '/mnt/state', options: ['rbind'], source: '/var/lib/docker/plugins/', type: 'bind', settable: ['source'] }],
  network: { type: 'host' },
  propagatedMount: '/mnt/volumes',
  args: { name: 'args', settable: ['value'], value: ['-v'] },
};

describe('plugin config.json', () => {
  it('accepts a Docker managed-plugin config and keeps what Flotilla runs', () => {
    const c = validatePluginConfig(sshfsLike);
    expect(c.interface).toEqual({ types: ['docker.volumedriver/1.0'], socket: 'sshfs.sock' });
    expect(c.network.type).toBe('host');
    expect(c.mounts[0]).toMatchObject({ name: 'state', source: '/var/lib/docker/plugins/', destination: '/mnt/state', type: 'bind' });
    expect(c.linux.devices[0]?.path).toBe('/dev/fuse');
    expect(c.args.value).toEqual(['-v']);
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      validatePluginConfig({
        interface: { types: ['docker.networkdriver/1.0'], socket: '../x.sock' },
        network: { type: 'weird' },
        linux: { capabilities: ['SYS_ADMIN'], devices: [{ path: '/etc/passwd' }] },
        mounts: [{ destination: 'relative', source: 'also-relative' }],
        env: [{ name: '1BAD' }],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginConfigError);
    const problems = (err as PluginConfigError).problems.join('\n');
    for (const fragment of [
      'description is required',
      'entrypoint is required',
      '"docker.networkdriver/1.0" is not supported',
      'interface.socket must be a file name',
      'network.type must be host, bridge or none',
      '"SYS_ADMIN" is not a capability name',
      'linux.devices[0].path must be under /dev',
      'mounts[0].destination must be an absolute path',
      'mounts[0].source of a bind mount must be an absolute host path',
      'env[0].name "1BAD" is not a valid environment variable name',
    ]) {
      expect(problems).toContain(fragment);
    }
  });

  it('refuses text that is not JSON or not an object', () => {
    expect(() => parsePluginConfig('{nope')).toThrow(/not JSON/);
    expect(() => parsePluginConfig('[]')).toThrow(/must hold an object/);
    expect(() => validatePluginConfig({ ...sshfsLike, entrypoint: '/x' })).toThrow(/entrypoint must be an array of strings/);
  });

  it('refuses two settings with the same name', () => {
    expect(() => validatePluginConfig({ ...sshfsLike, env: [{ name: 'state', value: '' }] })).toThrow(/"state" is used by more than one/);
  });
});

describe('plugin settings', () => {
  const base = validatePluginConfig(sshfsLike);

  it('sets env values, mount sources, device paths and args, later settings winning', () => {
    const c = applySettings(base, ['DEBUG=1', 'state.source=/srv/state', 'fuse.path=/dev/fuse2', 'args=-a -b', 'DEBUG=2']);
    expect(c.env.find((e) => e.name === 'DEBUG')?.value).toBe('2');
    expect(c.mounts[0]?.source).toBe('/srv/state');
    expect(c.linux.devices[0]?.path).toBe('/dev/fuse2');
    expect(c.args.value).toEqual(['-a', '-b']);
    expect(base.env.find((e) => e.name === 'DEBUG')?.value).toBe('0');
  });

  it('refuses what is not settable, unknown keys and bad values', () => {
    expect(() => applySettings(base, ['FIXED=y'])).toThrow(new PluginSettingError('setting "FIXED" is not settable'));
    expect(() => applySettings(base, ['NOPE=1'])).toThrow(/setting "NOPE" not found in the plugin configuration/);
    expect(() => applySettings(base, ['state.destination=/x'])).toThrow(/not settable/);
    expect(() => applySettings(base, ['state.source=relative'])).toThrow(/absolute path/);
    expect(() => applySettings(base, ['noequals'])).toThrow(/expected KEY=VALUE/);
  });
});
