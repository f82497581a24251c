import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { loadControlTls } from '../src/tls-credentials.js';
import { runBuiltCli } from './helpers/run-cli.js';

// Dialling a real manager over tcp:// (manager, worker, foreign, expired and removed certificates)
// is tested end to end in apps/flotillad/test/e2e/control-tls.test.ts.
describe('tcp:// hosts never go out without TLS', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-tcp-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loadControlTls names the missing file and the flag that fixes it', async () => {
    await expect(loadControlTls(dir)).rejects.toThrow(CliError);
    await expect(loadControlTls(dir)).rejects.toThrow(
      `tcp:// hosts need a manager's certificates (node.crt, node.key, ca.crt): cannot read ${join(dir, 'ca.crt')} (no such file); pass --tls-dir DIR`,
    );
  });

  it('loadControlTls refuses a ca.crt that is not a certificate', async () => {
    for (const name of ['ca.crt', 'node.crt', 'node.key']) await writeFile(join(dir, name), 'not a pem\n');
    await expect(loadControlTls(dir)).rejects.toThrow(`${join(dir, 'ca.crt')} is not a certificate`);
  });

  it('the built CLI refuses tcp:// without certificates in one line (exit 1) and never dials', async () => {
    // Port 1 on loopback: nothing listens, so a dial would say "cannot connect" instead.
    const run = await runBuiltCli(['-H', 'tcp://127.0.0.1:1', '--tls-dir', join(dir, 'none'), 'service', 'ls']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `flotilla: tcp:// hosts need a manager's certificates (node.crt, node.key, ca.crt): cannot read ${join(dir, 'none', 'ca.crt')} (no such file); pass --tls-dir DIR\n`,
    );
    expect(run.stdout).toBe('');
  });

  it('FLOTILLA_HOST and FLOTILLA_TLS_DIR do the same as -H and --tls-dir', async () => {
    const run = await runBuiltCli(['service', 'ls'], { FLOTILLA_HOST: 'tcp://127.0.0.1:1', FLOTILLA_TLS_DIR: join(dir, 'env') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read ${join(dir, 'env', 'ca.crt')}`);
  });

  it('http:// (or any other scheme) is a usage error (exit 2)', async () => {
    const run = await runBuiltCli(['-H', 'http://127.0.0.1:2377', 'service', 'ls']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('flotilla: invalid host "http://127.0.0.1:2377": expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]\n');
  });

  it('--help explains tcp:// and --tls-dir', async () => {
    const run = await runBuiltCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--tls-dir <dir>');
    expect(run.stdout).toContain('tcp://MANAGER:2377');
    expect(run.stdout).toContain('there is no plaintext TCP');
  });
});
