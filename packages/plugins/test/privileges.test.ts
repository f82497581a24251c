import { describe, expect, it } from 'vitest';
import { applySettings, formatPrivileges, mergePrivileges, missingPrivileges, privilegesOf, validatePluginConfig } from '../src/index.js';

const minimal = { description: 'd', entrypoint: ['/p'], interface: { types: ['docker.authz/1.0'], socket: 'p.sock' } };

describe('plugin privileges', () => {
  it('an unprivileged plugin asks for nothing', () => {
    expect(privilegesOf(validatePluginConfig(minimal))).toEqual([]);
    expect(privilegesOf(validatePluginConfig({ ...minimal, network: { type: 'bridge' } }))).toEqual([]);
  });

  it("lists network, mounts, devices and capabilities in Docker's order and words", () => {
    const c = validatePluginConfig({
      ...minimal,
      network: { type: 'host' },
      mounts: [{ name: 'm', source: '/var/lib/x', destination: '/x', type: 'bind', settable: ['source'] }],
      linux: { capabilities: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'], devices: [{ path: '/dev/fuse' }] },
    });
    const privileges = privilegesOf(c);
    expect(formatPrivileges(privileges)).toBe(' - network: [host]\n - mount: [/var/lib/x]\n - device: [/dev/fuse]\n - capabilities: [CAP_SYS_ADMIN CAP_NET_ADMIN]\n');
    // Settings change what the plugin will really touch, so the list follows them.
    expect(privilegesOf(applySettings(c, ['m.source=/srv/y'])).find((p) => p.name === 'mount')?.value).toEqual(['/srv/y']);
  });

  it('finds exactly what an upgrade asks beyond the grant', () => {
    const granted = [{ name: 'network', description: '', value: ['host'] }, { name: 'capabilities', description: '', value: ['CAP_NET_ADMIN'] }];
    const required = [
      { name: 'network', description: 'n', value: ['host'] },
      { name: 'capabilities', description: 'c', value: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] },
      { name: 'mount', description: 'm', value: ['/etc'] },
    ];
    expect(missingPrivileges(required, granted)).toEqual([
      { name: 'capabilities', description: 'c', value: ['CAP_SYS_ADMIN'] },
      { name: 'mount', description: 'm', value: ['/etc'] },
    ]);
    expect(missingPrivileges(granted, required)).toEqual([]);
    expect(missingPrivileges(required, mergePrivileges(granted, required))).toEqual([]);
  });
});
