import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCli, flattenCommands } from '@flotilla/cli';
import { buildRelease, readRootFacts, WORKSPACE_ROOT, type Tarball } from '../src/index.js';

// The real thing end to end: the two tarballs `npm run release` makes, installed with the real
// npm into an empty prefix with an empty cache and --offline (so an install that needed anything
// from a registry fails), then the installed commands run from outside the checkout.
const exec = promisify(execFile);
const facts = readRootFacts();
const work = mkdtempSync(join(tmpdir(), 'flotilla-release-'));
const prefix = join(work, 'prefix');
const bin = (name: string) => join(prefix, 'bin', name);
// No checkout, no NODE_PATH: only what the install put in the prefix (and node, nats-server).
const cleanEnv = { PATH: `${join(prefix, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: work };
let tarballs: Tarball[];

async function runInstalled(command: string, args: readonly string[], env: Record<string, string> = cleanEnv) {
  try {
    const { stdout, stderr } = await exec(command, [...args], { cwd: work, env, maxBuffer: 8 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  tarballs = await buildRelease(join(work, 'release'));
  await exec('npm', ['install', '-g', '--prefix', prefix, '--cache', join(work, 'npm-cache'), '--offline', '--no-audit', '--no-fund', ...tarballs.map((t) => t.file)], { cwd: work, env: { ...process.env, ...cleanEnv } });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the npm packages', () => {
  it('are @flotilla/cli and @flotilla/daemon at the root version, with no dependencies and no workspace links', () => {
    expect(tarballs.map((t) => `${t.name}@${t.version}`)).toEqual([`@flotilla/cli@${facts.version}`, `@flotilla/daemon@${facts.version}`]);
    for (const t of tarballs) {
      const text = readFileSync(join(t.stageDir, 'package.json'), 'utf8');
      const manifest = JSON.parse(text) as Record<string, unknown>;
      expect(text).not.toContain('workspace:');
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies', 'private']) expect(manifest[field]).toBeUndefined();
      expect(manifest).toMatchObject({ license: facts.license, engines: facts.engines, repository: { url: facts.repository.url }, files: ['dist'] });
      expect(String(manifest['description']).length).toBeGreaterThan(20);
    }
  });

  it('ship only the bundles, README, LICENSE and package.json', () => {
    const [cli, daemon] = tarballs;
    expect(daemon!.files).toEqual(['LICENSE', 'README.md', 'dist/flotillad.js', 'package.json']);
    expect(cli!.files.filter((f) => !f.startsWith('dist/chunks/'))).toEqual(['LICENSE', 'README.md', 'dist/main.js', 'package.json']);
    expect(cli!.files.some((f) => f.endsWith('.map') || f.endsWith('.d.ts') || f.includes('node_modules'))).toBe(false);
  });

  it('carry every module they import: the bundles import only Node built-ins', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    // debug (under dockerode) asks for supports-color inside try/catch and goes on without it.
    const optional = new Set(['supports-color']);
    for (const t of tarballs) {
      const dist = join(t.stageDir, 'dist');
      const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
      for (const f of files) {
        const code = readFileSync(join(dist, f), 'utf8');
        const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']((?:@[\w.~-]+\/)?[\w~-][\w.~-]*(?:\/[\w.~/-]*)?)["']/g)].map((m) => m[1]!);
        const foreign = [...new Set(specifiers)].filter((s) => !builtins.has(s) && !optional.has(s));
        expect(foreign, `${t.name} ${f}`).toEqual([]);
      }
    }
  });

  it('one version, set in the root package.json: no workspace package carries its own', () => {
    for (const group of ['packages', 'apps']) {
      for (const name of readdirSync(join(WORKSPACE_ROOT, group))) {
        const file = join(WORKSPACE_ROOT, group, name, 'package.json');
        if (!existsSync(file)) continue;
        expect((JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version, file).toBeUndefined();
      }
    }
  });

  it('installed offline: flotilla --version, --help, completion bash|zsh|fish; flotillad --version, --help', async () => {
    expect((await runInstalled(bin('flotilla'), ['--version'])).stdout).toBe(`flotilla version ${facts.version}\n`);
    const help = await runInstalled(bin('flotilla'), ['--help']);
    expect(help.code).toBe(0);
    for (const c of flattenCommands(describeCli()).filter((n) => n.path.length === 1)) expect(help.stdout).toContain(`  ${c.name}`);
    for (const shell of ['bash', 'zsh', 'fish']) {
      const completion = await runInstalled(bin('flotilla'), ['completion', shell]);
      expect(completion.code, completion.stderr).toBe(0);
      expect(completion.stdout).toContain('flotilla swarm join-token');
    }
    expect((await runInstalled(bin('flotillad'), ['--version'])).stdout).toBe(`flotillad version ${facts.version}\n`);
    const daemonHelp = await runInstalled(bin('flotillad'), ['--help']);
    expect(daemonHelp.code).toBe(0);
    expect(daemonHelp.stdout).toContain('--data-dir <path>');
  });

  it('installed flotillad serves, and flotilla version shows client and daemon at the root version', async () => {
    const socket = join(work, 'ctl.sock');
    const daemon = spawn(bin('flotillad'), ['--data-dir', join(work, 'data'), '--control-socket', socket, '--log-level', 'warn'], { cwd: work, env: cleanEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    daemon.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      let version = await runInstalled(bin('flotilla'), ['-H', `unix://${socket}`, 'version']);
      while (version.code !== 0 && Date.now() < deadline && daemon.exitCode === null) {
        await new Promise((r) => setTimeout(r, 200));
        version = await runInstalled(bin('flotilla'), ['-H', `unix://${socket}`, 'version']);
      }
      expect(version.code, `${version.stderr}\n${stderr}`).toBe(0);
      expect(version.stdout).toMatch(new RegExp(`^Client: Flotilla\\n Version: +${facts.version.replace(/\./g, '\\.')}\\n`));
      expect(version.stdout).toMatch(new RegExp(`\\nServer: Flotilla daemon\\n Version: +${facts.version.replace(/\./g, '\\.')}\\n`));
    } finally {
      daemon.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    }
  });

  it('installed flotillad without nats-server on PATH says how to install it in one line and exits 1', async () => {
    // node only: the bin's `#!/usr/bin/env node` needs it; nats-server (Debian: /usr/sbin) is left out.
    const nodeOnly = join(work, 'node-only');
    await exec('mkdir', ['-p', nodeOnly]);
    await exec('ln', ['-sf', process.execPath, join(nodeOnly, 'node')]);
    const run = await runInstalled(bin('flotillad'), ['--data-dir', join(work, 'data2')], { PATH: `${join(prefix, 'bin')}:${nodeOnly}`, HOME: work });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('apt-get install nats-server');
  });

  it('npm publish --dry-run is clean: nothing to warn about but the missing login of a dry run', async () => {
    for (const t of tarballs) {
      const { stderr, stdout } = await exec('npm', ['publish', '--dry-run', '--offline'], { cwd: t.stageDir, env: { ...process.env, ...cleanEnv } });
      const warnings = stderr.split('\n').filter((l) => /^npm (warn|error)/i.test(l) && !/requires you to be logged in/.test(l));
      expect(warnings, stderr).toEqual([]);
      expect(stdout).toContain(`+ ${t.name}@${t.version}`);
    }
  });
});
