import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS, missingNodeFlags } from '../src/node-flags.js';
import { REPO_ROOT } from './helpers/processes.js';

describe("flotillad's Node.js flags", () => {
  it('bin/flotillad passes every one of them (the tests and benches take them from node-flags.ts)', () => {
    const launcher = readFileSync(join(REPO_ROOT, 'bin/flotillad'), 'utf8');
    const exec = launcher.split('\n').find((l) => l.startsWith('exec node '))!;
    expect(missingNodeFlags(exec.split(/\s+/))).toEqual([]);
    expect(DAEMON_NODE_FLAGS.length).toBeGreaterThan(0);
  });

  it("the daemon's own first line passes them too (the npm package's bin runs dist/flotillad.js directly)", () => {
    const shebang = readFileSync(join(REPO_ROOT, 'apps/flotillad/src/main.ts'), 'utf8').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    expect(missingNodeFlags(shebang.split(/\s+/))).toEqual([]);
  });

  it('names the ones a start without them lacks', () => {
    expect(missingNodeFlags([])).toEqual([...DAEMON_NODE_FLAGS]);
    expect(missingNodeFlags(['--inspect', ...DAEMON_NODE_FLAGS])).toEqual([]);
  });
});
