import { Config } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { formatConfigList, formatConfigPretty, configSpecFromInput } from '../src/commands/config.js';
import { parseConfigFlag, updatedConfigs } from '../src/commands/secret-flags.js';
import { stackConfigCommand } from '../src/commands/stack.js';
import { CliError } from '../src/errors.js';
import type { CommandContext } from '../src/context.js';

describe('--config', () => {
  it('defaults the target to /NAME, takes the long form', () => {
    expect(parseConfigFlag('--config', 'nginx.conf')).toEqual({ configName: 'nginx.conf', target: '/nginx.conf' });
    expect(parseConfigFlag('--config', 'source=app,target=/etc/app.conf,uid=101,gid=101,mode=0440')).toEqual({ configName: 'app', target: '/etc/app.conf', uid: '101', gid: '101', mode: 0o440 });
    expect(parseConfigFlag('--config', 'src=app,mode=0400')).toEqual({ configName: 'app', target: '/app', mode: 0o400 });
  });

  it('--config-rm by name or target, --config-add replaces a config of the same name', () => {
    const current = [
      { configId: 'i1', configName: 'a', target: '/a', uid: '0', gid: '0', mode: 0o444 },
      { configId: 'i2', configName: 'b', target: '/etc/b', uid: '0', gid: '0', mode: 0o444 },
    ];
    expect(updatedConfigs(current, ['source=a,target=/new'], ['/etc/b']).map((r) => [r.configName, r.target])).toEqual([['a', '/new']]);
  });
});

describe('config output', () => {
  const c = Config.fromPartial({ id: 'cid1', meta: { createdAt: 1000, updatedAt: 1000 }, spec: { annotations: { name: 'app.conf', labels: { tier: 'web' } }, data: Buffer.from('listen 80\n') } });
  it('ls is docker\'s table; -q ids', () => {
    expect(formatConfigList([c], {}, 61_000)).toMatch(/^ID\s+NAME\s+CREATED\s+UPDATED\ncid1\s+app\.conf\s+About a minute ago\s+About a minute ago\n$/);
    expect(formatConfigList([c], { quiet: true }, 0)).toBe('cid1\n');
  });
  it('inspect --pretty shows the data', () => {
    expect(formatConfigPretty(c)).toMatch(/ID:\s+cid1\nName:\s+app\.conf\nLabels:\n - tier:\s+web\n[\s\S]*Data:\s*\nlisten 80\n$/);
  });
  it('refuses empty or too large data before calling the daemon', () => {
    expect(() => configSpecFromInput('x', [], Buffer.alloc(0))).toThrow(new CliError('config data must not be empty', 1));
    expect(() => configSpecFromInput('x', [], Buffer.alloc(1000 * 1024 + 1))).toThrow(/more than the 1024000 bytes \(1000 KiB\) allowed/);
  });
});

describe('stack config', () => {
  const ctx = (out: string[], err: string[]): CommandContext => ({ out: (t: string) => out.push(t), warn: (t: string) => err.push(t), connect: () => { throw new Error('stack config needs no daemon'); } }) as unknown as CommandContext;
  it('prints the merged file from standard input, and says which keys a stack ignores', async () => {
    const out: string[] = [];
    const err: string[] = [];
    await stackConfigCommand(ctx(out, err), { stdin: async () => 'version: "3.8"\nservices:\n  web:\n    image: "a:${TAG}"\n    restart: always\n', env: { TAG: '2' }, cwd: '/srv/app' }, { composeFile: ['-'] });
    expect(out.join('')).toBe('name: app\nservices:\n  web:\n    image: a:2\n    networks:\n      default: null\nnetworks:\n  default:\n    name: app_default\n');
    expect(err.join('')).toBe('Ignoring unsupported options: restart\n\n');
  });
  it('a broken file is one error per problem, with file and line', async () => {
    await expect(stackConfigCommand(ctx([], []), { stdin: async () => 'services:\n  web:\n    image: a\n    ports: [x]\n', env: {}, cwd: '/srv/app' }, { composeFile: ['-'] })).rejects.toThrow(/^-:4: services\.web\.ports\[0\]: invalid port "x"/);
  });
});

describe('a published port the manager refuses', () => {
  it('is placed at the service\'s ports in the file, like the file\'s own problems', async () => {
    const { loadCompose } = await import('@flotilla/stack');
    const { placeRefusal } = await import('../src/commands/stack.js');
    const loaded = loadCompose([{ file: 'ports.yml', text: 'version: "3.8"\nservices:\n  x:\n    image: a\n    ports: ["18090:80"]\n' }], { name: 'broken', baseDir: '/srv', env: {}, readText: () => { throw Object.assign(new Error('none'), { code: 'ENOENT' }); } });
    const placed = placeRefusal(new CliError('service broken_x: port 18090/tcp is already in use by service app_web', 1), 'broken', loaded.positionOf) as CliError;
    expect(placed.message).toBe('ports.yml:5: services.x.ports: port 18090/tcp is already in use by service app_web');
    const other = new CliError('network "shared" is declared as external, but could not be found', 1);
    expect(placeRefusal(other, 'broken', loaded.positionOf)).toBe(other);
  });
});
