import type { Plugin } from '@flotilla/api';
import { formatPrivileges } from '@flotilla/plugins';
import { describe, expect, it } from 'vitest';
import { askToGrant, formatPluginList, inspectedPlugin } from '../src/commands/plugin.js';
import { renderInspect } from '../src/output/inspect-format.js';
import type { CommandContext } from '../src/context.js';

const plugin = (name: string, enabled: boolean, types: string[]): Plugin => ({
  id: `${name.replace(/\W/g, '')}0123456789abcdef`,
  meta: { version: 1, createdAt: 0, updatedAt: 0 },
  spec: { name, configJson: JSON.stringify({ description: `the ${name} plugin`, interface: { types } }), granted: [{ name: 'network', description: 'd', value: ['host'] }], settings: ['A=1'], enabled, image: '', source: `./${name}` },
  rootfs: Buffer.alloc(0),
  rootfsDigest: 'sha256:abc',
  rootfsSize: 10,
});

const authz = plugin('no-remove:latest', true, ['docker.authz/1.0']);
const vol = plugin('local-dir:latest', false, ['docker.volumedriver/1.0']);

describe('plugin ls', () => {
  it("prints docker's columns, sorted by name, or only the short IDs", () => {
    const out = formatPluginList([authz, vol]).split('\n');
    expect(out[0]).toMatch(/^ID\s+NAME\s+DESCRIPTION\s+ENABLED$/);
    expect(out[1]).toMatch(/^localdirlate\s+local-dir:latest\s+the local-dir:latest plugin\s+false$/);
    expect(out[2]).toMatch(/^noremovelate\s+no-remove:latest\s+the no-remove:latest plugin\s+true$/);
    expect(formatPluginList([authz, vol], { quiet: true })).toBe('localdirlate\nnoremovelate\n');
    expect(formatPluginList([authz, vol], { format: '{{.Name}} {{if .Enabled}}on{{else}}off{{end}}' })).toBe('local-dir:latest off\nno-remove:latest on\n');
    expect(formatPluginList([authz], { format: '{{.ID}}', noTrunc: true })).toBe(`${authz.id}\n`);
  });
});

describe('plugin inspect', () => {
  it("shows docker's shape, settings in force, and --format runs over it", async () => {
    const json = await inspectedPlugin(authz);
    expect(json).toMatchObject({ Name: 'no-remove:latest', Enabled: true, Settings: { Set: ['A=1'] }, Config: { description: 'the no-remove:latest plugin' } });
    expect(renderInspect([json], '{{.Name}} is {{.Enabled}}')).toBe('no-remove:latest is true\n');
    expect(renderInspect([json], '{{json .Config.interface.types}}')).toBe('["docker.authz/1.0"]\n');
    expect(renderInspect([json], '{{range .Privileges}}{{.Name}}={{join .Value ","}}{{end}}')).toBe('network=host\n');
    expect(JSON.parse(renderInspect([json], 'json'))).toEqual(JSON.parse(JSON.stringify(json)));
    expect(() => renderInspect([json], '{{.Nope}}')).toThrow('template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
  });
});

describe('the permissions question', () => {
  const ask = async (answer: string | undefined) => {
    let printed = '';
    const ctx = { out: (t: string) => (printed += t), readLine: async () => answer } as unknown as CommandContext;
    const granted = await askToGrant(ctx, 'local-dir:latest', [{ name: 'mount', description: 'host path to mount', value: ['/srv/v'] }], formatPrivileges);
    return { granted, printed };
  };

  it('grants only on y or yes, in any case; anything else or end of input refuses', async () => {
    for (const yes of ['y', 'Y', 'yes', ' YES ']) expect((await ask(yes)).granted).toBe(true);
    for (const no of ['', 'n', 'no', 'yes please', 'sure']) expect((await ask(no)).granted).toBe(false);
    const eof = await ask(undefined);
    expect(eof.granted).toBe(false);
    expect(eof.printed).toBe('Plugin "local-dir:latest" is requesting the following privileges:\n - mount: [/srv/v]\nDo you grant the above permissions? [y/N] \n');
  });
});
