import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseBackend, probeHost } from '@flotilla/ipvs-lb';
import { copyCliForAnyUser, killStarted, REPO_ROOT, runCli, runToEnd, spawnDaemon, spawnTracked, waitUntilServing } from './helpers/processes.js';
import { socketAnswers } from './helpers/wait.js';

// Flotilla's one version: the workspace root's package.json (both binaries report it).
const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let dir: string;
let dataDir: string;
let socket: string;
let host: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-'));
  dataDir = join(dir, 'data');
  socket = join(dir, 'ctl.sock');
  host = `unix://${socket}`;
});

afterEach(async () => {
  await killStarted();
  await rm(dir, { recursive: true, force: true });
});

async function startServing(args: string[] = [], paths = { dataDir, socket }) {
  const daemon = spawnDaemon(['--data-dir', paths.dataDir, '--control-socket', paths.socket, '--log-level', 'debug', ...args]);
  await waitUntilServing(daemon, paths.socket);
  return daemon;
}

describe('flotillad with the flotilla CLI, as real processes', () => {
  it('answers `flotilla version` with client and server versions and the real engine version', async () => {
    const engine = await new Docker({ socketPath: '/var/run/docker.sock' }).version();
    await startServing(['--node-name', 'e2e-node-1']);

    const run = await runCli(['-H', host, 'version']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Client: Flotilla\n Version:         ${packageVersion}\n`);
    expect(run.stdout).toContain(`Server: Flotilla daemon\n Version:         ${packageVersion}\n`);
    expect(run.stdout).toContain(` Node.js version: ${process.version}\n`);
    expect(run.stdout).toContain(` Docker Engine:   ${engine.Version}\n`);
  });

  it('answers `flotilla info` with the node name, labels, data dir, socket, engine and swarm state', async () => {
    const engine = await new Docker({ socketPath: '/var/run/docker.sock' }).version();
    // What this machine offers decides the back end (iptables here: the kernel has no IPVS).
    const lb = chooseBackend(await probeHost()).kind;
    const daemon = await startServing(['--node-name', 'e2e-node-1', '--label', 'zone=eu', '--label', 'disk=ssd', '--advertise-addr', '127.0.0.11:2377']);

    const run = await runCli(['-H', host, 'info']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const line of [
      ` Host: ${host}`,
      ` Server Version: ${packageVersion}`,
      ' Node Name: e2e-node-1',
      ' Labels:\n  disk=ssd\n  zone=eu',
      ` Data Dir: ${dataDir}`,
      ` Control Socket: ${socket}`,
      ' Docker Host: unix:///var/run/docker.sock',
      ` Docker Engine: ${engine.Version} (API ${engine.ApiVersion})`,
      ` Load Balancer: ${lb}`,
      ' Advertise Address: 127.0.0.11:2377',
      ' Swarm: inactive',
      ` PID: ${daemon.pid}`,
    ]) {
      expect(run.stdout).toContain(`${line}\n`);
    }
  });

  it('makes the control socket a 0600 socket (creating its directory) and locks the data dir with its pid', async () => {
    const nested = join(dir, 'run', 'flotilla', 'ctl.sock');
    const daemon = await startServing([], { dataDir, socket: nested });
    const info = await stat(nested);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    expect((await readFile(join(dataDir, 'flotillad.pid'), 'utf8')).trim()).toBe(String(daemon.pid));
  });

  it.skipIf(process.getuid?.() !== 0)('keeps other users out through the socket mode alone', async () => {
    // Open the directory to everyone so that only the socket's own 0600 mode stands in the way.
    await chmod(dir, 0o755);
    await startServing();
    // nobody runs a copy of the CLI: the checkout itself may be closed to other users.
    const cli = await copyCliForAnyUser(dir);
    const asNobody = await runToEnd(process.execPath, [cli, '-H', host, 'info'], { uid: 65534, gid: 65534, cwd: dir });
    expect({ code: asNobody.code, stderr: asNobody.stderr }).toEqual({
      code: 1,
      stderr: `flotilla: permission denied connecting to flotillad at ${host}: run as the user that owns the socket (usually root)\n`,
    });
    expect((await runCli(['-H', host, 'info'])).code).toBe(0);
  });

  it('logs only pino JSON lines on stderr, carrying component and nodeId', async () => {
    const daemon = await startServing(['--node-name', 'logger-node']);
    await runCli(['-H', host, 'info']);
    daemon.child.kill('SIGTERM');
    const done = await daemon.exited;
    const lines = done.stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 30, component: 'flotillad', nodeId: '', nodeName: 'logger-node', controlSocket: socket, dataDir });
    expect(lines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['flotillad listening on control socket', 'stopping', 'flotillad stopped']));
    for (const line of lines) expect(line).toHaveProperty('component');
    expect(done.stdout).toBe('');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops on %s: exit 0, socket removed, lock released', async (signal) => {
    const daemon = await startServing();
    daemon.child.kill(signal);
    const done = await daemon.exited;

    expect(done.code).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(join(dataDir, 'flotillad.pid'))).toBe(false);
    expect(done.stderr).toContain('"msg":"flotillad stopped"');
    const run = await runCli(['-H', host, 'info']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`flotilla: cannot connect to flotillad at ${host}: is it running?\n`);
  });

  it('refuses a second daemon on the same data dir, naming the pid that holds it', async () => {
    const first = await startServing(['--node-name', 'first']);
    const otherSocket = join(dir, 'other.sock');

    const second = await spawnDaemon(['--data-dir', dataDir, '--control-socket', otherSocket]).exited;

    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `flotillad: data dir ${dataDir} is in use by another flotillad (pid ${first.pid}); stop it or use another --data-dir\n`,
    );
    expect(second.stderr).not.toMatch(/\n\s+at /); // no stack trace for an expected refusal
    expect(existsSync(otherSocket)).toBe(false);
    expect((await runCli(['-H', host, 'info'])).stdout).toContain(' Node Name: first\n');
  });

  it('refuses a second daemon on a live socket with "another flotillad is using <socket>"', async () => {
    await startServing(['--node-name', 'first']);

    const second = await spawnDaemon(['--data-dir', join(dir, 'data2'), '--control-socket', socket]).exited;

    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`flotillad: another flotillad is using ${socket}\n`);
    // The refused daemon leaves the first one's socket and its own data dir lock alone.
    expect((await runCli(['-H', host, 'info'])).stdout).toContain(' Node Name: first\n');
    expect(existsSync(join(dir, 'data2', 'flotillad.pid'))).toBe(false);
  });

  it('replaces the socket and lock left by a daemon that was killed', async () => {
    const crashed = await startServing(['--node-name', 'crashed']);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect((await stat(socket)).isSocket()).toBe(true);
    expect(await socketAnswers(socket)).toBe(false);
    expect(existsSync(join(dataDir, 'flotillad.pid'))).toBe(true);

    const next = await startServing(['--node-name', 'restarted']);

    const run = await runCli(['-H', host, 'info']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(' Node Name: restarted\n');
    expect(run.stdout).toContain(` PID: ${next.pid}\n`);
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
  });

  it('refuses to replace a path that is not a socket', async () => {
    const notSocket = join(dir, 'file.sock');
    await runToEnd('touch', [notSocket]);
    const refused = await spawnDaemon(['--data-dir', dataDir, '--control-socket', notSocket]).exited;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`flotillad: cannot create control socket ${notSocket}: a file that is not a socket is in the way\n`);
    expect((await stat(notSocket)).isFile()).toBe(true);
    expect(existsSync(join(dataDir, 'flotillad.pid'))).toBe(false);
  });

  it('starts even when Docker is unreachable and reports why in info', async () => {
    const noDocker = join(dir, 'no-docker.sock');
    await startServing(['--docker-host', `unix://${noDocker}`]);

    const info = await runCli(['-H', host, 'info']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(` Docker Host: unix://${noDocker}\n Docker Engine: unreachable\n`);
    expect(info.stderr).toMatch(new RegExp(`^WARNING: cannot reach Docker Engine at unix://${noDocker}: .*ENOENT.*\\n$`));

    const version = await runCli(['-H', host, 'version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toContain(' Docker Engine:   unreachable\n');
  });

  it.each([
    [['--label', 'foo'], 'flotillad: invalid label "foo": expected key=value\n'],
    [['--log-level', 'chatty'], 'flotillad: invalid log level "chatty": expected one of fatal, error, warn, info, debug, trace, silent\n'],
    [['--bogus'], "flotillad: unknown option '--bogus' (see 'flotillad --help')\n"],
  ])('rejects %j with one line on stderr, exit 2, and creates nothing', async (args, line) => {
    const run = await spawnDaemon(['--data-dir', dataDir, '--control-socket', socket, ...args]).exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(line);
    expect(run.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(socket)).toBe(false);
  });

  it('runs through the repo bin/ wrappers from another directory and through a symlink', async () => {
    // Relative paths resolve against the caller's directory, as for any daemon flag.
    const daemon = spawnTracked(join(REPO_ROOT, 'bin/flotillad'), ['--data-dir', 'data', '--control-socket', 'ctl.sock', '--node-name', 'via-bin'], { cwd: dir });
    await waitUntilServing(daemon, socket);

    const direct = await runToEnd(join(REPO_ROOT, 'bin/flotilla'), ['-H', host, 'info'], { cwd: tmpdir() });
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain(' Node Name: via-bin\n');
    expect(direct.stdout).toContain(` Data Dir: ${dataDir}\n`);

    const link = join(dir, 'flotilla');
    await symlink(join(REPO_ROOT, 'bin/flotilla'), link);
    const viaLink = await runToEnd(link, ['version'], { cwd: '/', env: { ...process.env, FLOTILLA_HOST: host } });
    expect(viaLink.code).toBe(0);
    expect(viaLink.stdout).toContain('Server: Flotilla daemon\n');

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
