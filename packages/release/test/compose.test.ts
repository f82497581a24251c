import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKSPACE_ROOT } from '../src/workspace.js';

// What can be checked of infra/compose without starting it, in a second; the real run (five
// nodes, each with its own Docker Engine, a leader killed) is `npm run test:compose`.
const composeDir = join(WORKSPACE_ROOT, 'infra/compose');

function composeConfig(): string {
  return execFileSync('docker-compose', ['-f', join(composeDir, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
    env: { ...process.env, FLOTILLA_DEV_DIR: '/nonexistent/dev', COMPOSE_PROJECT_NAME: 'flotilla-config-check' },
  });
}

describe('infra/compose without starting it', () => {
  it('docker-compose accepts the file: 3 managers and 2 workers, one first manager, the scheduler in 2 containers of its own', () => {
    const config = composeConfig();
    for (const node of ['mgr1', 'mgr2', 'mgr3', 'wrk1', 'wrk2']) expect(config).toContain(`hostname: ${node}`);
    expect(config.match(/FLOTILLA_DEV_ROLE: init/g)).toHaveLength(1);
    expect(config.match(/FLOTILLA_DEV_ROLE: manager/g)).toHaveLength(2);
    expect(config.match(/FLOTILLA_DEV_ROLE: worker/g)).toHaveLength(2);
    expect(config).not.toMatch(/privileged: true/);
    // The scheduler runs apart: the managers leave it out, two containers run it.
    expect(config.match(/FLOTILLA_DEV_DAEMON_ARGS: --services orchestrator,allocator/g)).toHaveLength(3);
    for (const sched of ['sched1', 'sched2']) expect(config).toContain(`hostname: ${sched}`);
    expect(config.match(/- scheduler\n/g)).toHaveLength(2);
  });

  it('without FLOTILLA_DEV_DIR (not through dev.sh) it refuses with the reason', () => {
    let message = '';
    try {
      execFileSync('docker-compose', ['-f', join(composeDir, 'docker-compose.yml'), 'config', '-q'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, FLOTILLA_DEV_DIR: '' },
      });
    } catch (err) {
      message = String((err as { stderr?: string }).stderr);
    }
    expect(message).toContain('run through npm run dev:up');
  });

  it('the scripts parse: the entry point as POSIX sh, dev.sh and the test as bash', () => {
    execFileSync('sh', ['-n', join(composeDir, 'node/flotilla-dev-node.sh')]);
    execFileSync('sh', ['-n', join(composeDir, 'node/flotilla-dev-service.sh')]);
    execFileSync('bash', ['-n', join(composeDir, 'dev.sh')]);
    execFileSync('bash', ['-n', join(composeDir, 'test/run.sh')]);
    const usage = (() => {
      try {
        execFileSync('bash', [join(composeDir, 'dev.sh'), 'nonsense'], { encoding: 'utf8', stdio: 'pipe' });
        return '';
      } catch (err) {
        return String((err as { stderr?: string }).stderr);
      }
    })();
    expect(usage).toContain('usage: dev.sh up | down | cli');
  });
});
