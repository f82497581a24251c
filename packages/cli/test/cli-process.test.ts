import { Server, ServerCredentials } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBuiltCli } from './helpers/run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the built flotilla CLI', () => {
  it('prints its version with --version', async () => {
    const run = await runBuiltCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^flotilla version \d+\.\d+\.\d+\n$/);
  });

  it.each([['info'], ['version']])('`%s` with no daemon says so in one line and exits 1', async (command) => {
    const host = `unix://${join(dir, 'none.sock')}`;
    const run = await runBuiltCli(['-H', host, command]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`flotilla: cannot connect to flotillad at ${host}: is it running?\n`);
  });

  it('`version` with no daemon still prints the client part first, like docker version', async () => {
    const run = await runBuiltCli(['-H', `unix://${join(dir, 'none.sock')}`, 'version']);
    expect(run.stdout).toMatch(/^Client: Flotilla\n Version: +\d+\.\d+\.\d+\n/);
    expect(run.stdout).not.toContain('Server:');
  });

  it('takes the host from FLOTILLA_HOST when -H is not given, and -H wins over it', async () => {
    const fromEnv = `unix://${join(dir, 'env.sock')}`;
    const fromFlag = `unix://${join(dir, 'flag.sock')}`;
    expect((await runBuiltCli(['info'], { FLOTILLA_HOST: fromEnv })).stderr).toContain(`at ${fromEnv}:`);
    expect((await runBuiltCli(['-H', fromFlag, 'info'], { FLOTILLA_HOST: fromEnv })).stderr).toContain(`at ${fromFlag}:`);
  });

  it('reports a daemon that lacks the Control service as too old, not as a crash', async () => {
    // A real gRPC server on a real socket with no services: what an older daemon looks like.
    const socket = join(dir, 'old.sock');
    const server = new Server();
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    try {
      const run = await runBuiltCli(['-H', `unix://${socket}`, 'info']);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`flotilla: flotillad at unix://${socket} does not support Info: is it older than this flotilla CLI?\n`);
    } finally {
      server.forceShutdown();
    }
  });

  it.each([
    [['frobnicate'], "flotilla: unknown command 'frobnicate' (see 'flotilla --help')\n"],
    [['--nope', 'info'], "flotilla: unknown option '--nope' (see 'flotilla --help')\n"],
    [['-H', 'http://10.0.0.1:2377', 'info'], 'flotilla: invalid host "http://10.0.0.1:2377": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]\n'],
  ])('rejects bad usage %j with one line and exit 2', async (args, line) => {
    const run = await runBuiltCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(line);
    expect(run.stdout).toBe('');
  });
});
