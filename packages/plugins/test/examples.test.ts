// The shipped example plugins (examples/plugins), built with their script and run as plain
// processes on real unix sockets, spoken to with this package's client. (Running them as
// containers with their privileges is flotillad's e2e.)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor, type TempDir } from '@flotilla/testkit';
import { authorizeRequest, PluginClient, readPluginSource, VolumeDriverClient, type ControlCall } from '../src/index.js';

const examples = resolve(import.meta.dirname, '../../../examples/plugins');
let dir: TempDir;
const children: ChildProcess[] = [];

async function start(name: string, env: Record<string, string> = {}): Promise<PluginClient> {
  const sockets = join(dir.path, `${name}-run`);
  await import('node:fs/promises').then((fs) => fs.mkdir(sockets, { recursive: true }));
  const child = spawn(join(dir.path, 'built', name, 'rootfs', name), [], { env: { PLUGIN_SOCKET_DIR: sockets, ...env }, stdio: 'ignore' });
  children.push(child);
  const socketPath = join(sockets, `${name}.sock`);
  await waitFor(() => existsSync(socketPath), { timeoutMs: 5_000, what: `${name} socket` });
  return new PluginClient({ name, socketPath });
}

beforeAll(async () => {
  dir = await tempDir('flotilla-plugin-examples-');
  await promisify(execFile)('bash', [join(examples, 'build.sh'), join(dir.path, 'built')]);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await dir.cleanup();
});

const call = (method: string, request: unknown): ControlCall => ({ method, caller: { kind: 'local' }, request });

describe('no-remove', () => {
  it('denies each protected removal with its message and allows everything else', async () => {
    const client = await start('no-remove');
    expect(await client.activate()).toEqual(['authz']);
    const chain = [{ name: 'no-remove:latest', client }];
    for (const [method, key, what] of [
      ['RemoveService', 'service', 'services'],
      ['RemoveNode', 'node', 'nodes'],
      ['RemoveStack', 'stack', 'stacks'],
      ['RemoveNetwork', 'network', 'networks'],
      ['RemoveSecret', 'secret', 'secrets'],
      ['RemoveConfig', 'config', 'configs'],
    ] as const) {
      expect(await authorizeRequest(chain, call(method, { [key]: 'x' }))).toEqual({
        allow: false,
        plugin: 'no-remove:latest',
        message: `authorization denied by plugin no-remove:latest: removing ${what} is not allowed on this cluster (no-remove plugin)`,
      });
    }
    for (const [method, request] of [['CreateService', { spec: {} }], ['ListServices', {}], ['DisablePlugin', { plugin: 'no-remove' }], ['RemovePlugin', { plugin: 'x' }]] as const) {
      expect(await authorizeRequest(chain, call(method, request))).toEqual({ allow: true });
    }
    // A Docker client's versioned URI is understood too.
    expect(await client.call('AuthZPlugin.AuthZReq', { RequestMethod: 'DELETE', RequestUri: '/v1.41/services/abc' })).toMatchObject({ Allow: false });
  });
});

describe('local-dir', () => {
  it('creates, mounts, lists and removes folders, and refuses unknown options', async () => {
    const root = join(dir.path, 'volumes');
    await import('node:fs/promises').then((fs) => fs.mkdir(root));
    const driver = new VolumeDriverClient(await start('local-dir', { LOCAL_DIR_ROOT: root }));
    expect(await driver.client.activate()).toEqual(['VolumeDriver']);
    expect(await driver.scope()).toBe('local');
    await driver.create('data', { mode: '0700' });
    expect(((await stat(join(root, 'data'))).mode & 0o777).toString(8)).toBe('700');
    expect(await driver.mount('data', 'task1')).toBe(`${root}/data`);
    await writeFile(join(root, 'data', 'f'), 'x');
    await driver.unmount('data', 'task1');
    expect((await driver.list()).map((v) => v.name)).toEqual(['data']);
    expect((await driver.get('data')).mountpoint).toBe(`${root}/data`);
    await expect(driver.create('other', { size: '1G' })).rejects.toThrow('plugin local-dir failed VolumeDriver.Create: local-dir: unknown option "size" (only mode is understood)');
    await expect(driver.mount('../etc', 't')).rejects.toThrow(/invalid volume name/);
    await driver.remove('data');
    expect(await readdir(root)).toEqual([]);
    await expect(driver.get('data')).rejects.toThrow(/no such volume/);
  });
});

describe('plugin sources', () => {
  it('reads a built example folder into config + a reproducible gzip rootfs well under the store cap', async () => {
    const a = await readPluginSource(join(dir.path, 'built', 'no-remove'), 768 * 1024);
    const b = await readPluginSource(join(dir.path, 'built', 'no-remove'), 768 * 1024);
    expect(a.config.interface.types).toEqual(['docker.authz/1.0']);
    expect(a.rootfsDigest).toBe(b.rootfsDigest);
    expect(a.rootfs.length).toBeLessThan(768 * 1024);
    await expect(readPluginSource(join(dir.path, 'built', 'no-remove'), 1000)).rejects.toThrow(/larger than 1000 bytes/);
    await expect(readPluginSource(join(dir.path, 'nowhere'), 1000)).rejects.toThrow(/no such file or directory/);
  });
});
