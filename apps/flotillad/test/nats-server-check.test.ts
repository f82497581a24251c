import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, NATS_SERVER_MISSING } from '../src/nats-server-check.js';

const DAEMON_MAIN = new URL('../dist/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flotillad-nats-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the nats-server check at start', () => {
  it('finds the first executable on PATH and skips empty entries', () => {
    const present = new Set(['/b/nats-server', '/c/nats-server']);
    expect(findOnPath('nats-server', '::/a:/b:/c', (f) => present.has(f))).toBe('/b/nats-server');
    expect(findOnPath('nats-server', '/a', (f) => present.has(f))).toBeUndefined();
    expect(findOnPath('nats-server', undefined, () => true)).toBeUndefined();
  });

  it('a real flotillad without nats-server on PATH prints one line with the apt command and exits 1, touching nothing', () => {
    // A PATH holding node and nothing else (the bin shims run `#!/usr/bin/env node`).
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const dataDir = join(dir, 'data');
    const run = spawnSync(process.execPath, [DAEMON_MAIN, '--data-dir', dataDir, '--control-socket', join(dir, 'ctl.sock')], {
      env: { PATH: bin },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe(`${NATS_SERVER_MISSING}\n`);
    expect(run.stderr).toContain('apt-get install nats-server');
    expect(run.status).toBe(1);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('--help and --version answer without nats-server', () => {
    for (const flag of ['--help', '--version']) {
      const run = spawnSync(process.execPath, [DAEMON_MAIN, flag], { env: { PATH: '' }, encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('flotillad');
    }
  });
});
