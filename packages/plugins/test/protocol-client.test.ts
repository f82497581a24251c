// The protocol client and the authz chain against real HTTP servers on unix sockets.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '@flotilla/testkit';
import { authorizeRequest, authorizeResponse, PluginCallError, PluginClient, VolumeDriverClient, type ControlCall } from '../src/index.js';

type Handler = (path: string, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) => void;

let dir: TempDir;
const servers: Server[] = [];

async function serve(name: string, handler: Handler): Promise<string> {
  const socketPath = join(dir.path, `${name}.sock`);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req.url ?? '', JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>, req, res));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  servers.push(server);
  return socketPath;
}

const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  dir = await tempDir('flotilla-plugin-proto-');
});
afterAll(async () => {
  for (const s of servers) s.close();
  await dir.cleanup();
});

const removeCall: ControlCall = { method: 'RemoveService', caller: { kind: 'local' }, request: { service: 'web' } };

describe('plugin protocol client', () => {
  it('activates and speaks the volume driver methods with Docker bodies and headers', async () => {
    const seen: Array<{ path: string; body: Record<string, unknown>; accept: string | undefined; method: string | undefined }> = [];
    const socketPath = await serve('vol', (path, body, req, res) => {
      seen.push({ path, body, accept: req.headers.accept, method: req.method });
      if (path === '/Plugin.Activate') return json(res, { Implements: ['VolumeDriver'] });
      if (path === '/VolumeDriver.Mount') return json(res, { Mountpoint: `/volumes/${String(body['Name'])}`, Err: '' });
      if (path === '/VolumeDriver.Get') return json(res, { Volume: { Name: body['Name'], Mountpoint: '/volumes/a' }, Err: '' });
      if (path === '/VolumeDriver.List') return json(res, { Volumes: [{ Name: 'a', Mountpoint: '/volumes/a' }], Err: '' });
      if (path === '/VolumeDriver.Capabilities') return json(res, { Capabilities: { Scope: 'local' } });
      if (path === '/VolumeDriver.Remove') return json(res, { Err: 'volume a is in use' });
      return json(res, { Err: '' });
    });
    const client = new PluginClient({ name: 'local-dir', socketPath });
    expect(await client.activate()).toEqual(['VolumeDriver']);
    const driver = new VolumeDriverClient(client);
    await driver.create('a', { size: '1' });
    expect(await driver.mount('a', 'task1')).toBe('/volumes/a');
    await driver.unmount('a', 'task1');
    expect((await driver.get('a')).mountpoint).toBe('/volumes/a');
    expect((await driver.list()).map((v) => v.name)).toEqual(['a']);
    expect(await driver.scope()).toBe('local');
    await expect(driver.remove('a')).rejects.toThrow('plugin local-dir failed VolumeDriver.Remove: volume a is in use');
    expect(seen[1]).toEqual({ path: '/VolumeDriver.Create', body: { Name: 'a', Opts: { size: '1' } }, accept: 'application/vnd.docker.plugins.v1.2+json', method: 'POST' });
    expect(seen[2]?.body).toEqual({ Name: 'a', ID: 'task1' });
  });

  it('names the plugin when the socket is gone, the answer is late or not JSON', async () => {
    const missing = new PluginClient({ name: 'gone', socketPath: join(dir.path, 'nobody.sock') });
    await expect(missing.activate()).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringContaining('plugin gone failed Plugin.Activate') });
    const slowSocket = await serve('slow', () => {});
    await expect(new PluginClient({ name: 'slow', socketPath: slowSocket, timeoutMs: 200 }).activate()).rejects.toMatchObject({ kind: 'timeout' });
    const garbageSocket = await serve('garbage', (_p, _b, _r, res) => res.end('<html>'));
    await expect(new PluginClient({ name: 'garbage', socketPath: garbageSocket }).call('X', {})).rejects.toBeInstanceOf(PluginCallError);
    await expect(new PluginClient({ name: 'garbage', socketPath: garbageSocket }).call('X', {})).rejects.toMatchObject({ kind: 'garbage' });
    const statusSocket = await serve('status', (_p, _b, _r, res) => json(res, {}, 404));
    await expect(new PluginClient({ name: 'status', socketPath: statusSocket }).call('X', {})).rejects.toMatchObject({ kind: 'status' });
  });
});

describe('authz chain', () => {
  it('sends Docker AuthZReq/AuthZRes bodies and follows the answers', async () => {
    const bodies: Record<string, unknown>[] = [];
    const socketPath = await serve('authz', (path, body, _req, res) => {
      bodies.push(body);
      if (path === '/AuthZPlugin.AuthZReq') return json(res, body['RequestMethod'] === 'DELETE' ? { Allow: false, Msg: 'no removals' } : { Allow: true });
      return json(res, { Allow: true });
    });
    const plugin = { name: 'no-remove:latest', client: new PluginClient({ name: 'no-remove:latest', socketPath }) };
    expect(await authorizeRequest([plugin], removeCall)).toEqual({ allow: false, plugin: 'no-remove:latest', message: 'authorization denied by plugin no-remove:latest: no removals' });
    const listCall: ControlCall = { method: 'ListServices', caller: { kind: 'tls', commonName: 'node1', organizationalUnit: 'flotilla-manager', organization: 'c1' }, request: {} };
    expect(await authorizeRequest([plugin], listCall)).toEqual({ allow: true });
    expect(await authorizeResponse([plugin], listCall, 200, { services: [] })).toEqual({ allow: true });
    expect(bodies[0]).toMatchObject({ User: 'local socket', UserAuthNMethod: 'local socket', RequestMethod: 'DELETE', RequestUri: '/services/web' });
    expect(JSON.parse(Buffer.from(String(bodies[0]?.['RequestBody']), 'base64').toString())).toEqual({ service: 'web' });
    expect(bodies[1]).toMatchObject({ User: 'node1', UserAuthNMethod: 'TLS', RequestMethod: 'GET', RequestUri: '/services' });
    expect(bodies[2]).toMatchObject({ ResponseStatusCode: 200 });
    expect(JSON.parse(Buffer.from(String(bodies[2]?.['ResponseBody']), 'base64').toString())).toEqual({ services: [] });
  });

  it('fails closed on a dead plugin, garbage, a missing Allow or a plugin that is not running', async () => {
    const dead = { name: 'dead', client: new PluginClient({ name: 'dead', socketPath: join(dir.path, 'dead.sock') }) };
    const noAllowSocket = await serve('noallow', (_p, _b, _r, res) => json(res, { Msg: 'hm' }));
    const noAllow = { name: 'noallow', client: new PluginClient({ name: 'noallow', socketPath: noAllowSocket }) };
    const allowAll = { name: 'ok', client: new PluginClient({ name: 'ok', socketPath: await serve('ok', (_p, _b, _r, res) => json(res, { Allow: true })) }) };
    for (const [p, fragment] of [
      [dead, 'authorization plugin dead failed, so the call is denied'],
      [noAllow, 'authorization plugin noallow failed, so the call is denied: its AuthZPlugin.AuthZReq answer has no Allow'],
      [{ name: 'stopped', client: undefined, unavailable: 'container exited' }, 'authorization plugin stopped is not running: container exited'],
    ] as const) {
      const decision = await authorizeRequest([allowAll, p], removeCall);
      expect(decision.allow).toBe(false);
      expect(decision.allow === false && decision.message).toContain(fragment);
    }
  });
});
