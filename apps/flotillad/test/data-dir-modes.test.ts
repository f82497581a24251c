import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tightenDataDirModes } from '../src/data-dir-modes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-modes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);

describe('tightenDataDirModes', () => {
  it('makes files 0600 and folders 0700, leaves plugins/ and symlink targets alone, and is a no-op the second time', async () => {
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'swarm/raft/wal'), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'swarm/raft/wal/0001.wal'), 'x', { mode: 0o644 });
    await writeFile(join(dir, 'swarm/node.key'), 'k', { mode: 0o600 });
    await writeFile(join(dir, 'swarm/tool'), 't', { mode: 0o755 });
    await mkdir(join(dir, 'plugins/p1/rootfs'), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'plugins/p1/rootfs/plugin'), '#!', { mode: 0o755 });
    const outside = join(dir, '..', `${dir.split('/').pop()}-outside`);
    await writeFile(outside, 'o', { mode: 0o644 });
    await symlink(outside, join(dir, 'swarm/link'));
    try {
      const fixes = await tightenDataDirModes(dir);
      expect(fixes.map((f) => f.path.slice(dir.length) || '/').sort()).toEqual(['/', '/swarm', '/swarm/raft', '/swarm/raft/wal', '/swarm/raft/wal/0001.wal', '/swarm/tool'].sort());
      expect(await mode(dir)).toBe('700');
      expect(await mode(join(dir, 'swarm/raft/wal'))).toBe('700');
      expect(await mode(join(dir, 'swarm/raft/wal/0001.wal'))).toBe('600');
      expect(await mode(join(dir, 'swarm/node.key'))).toBe('600');
      expect(await mode(join(dir, 'swarm/tool'))).toBe('700'); // the owner's bits stay
      expect(await mode(join(dir, 'plugins/p1/rootfs'))).toBe('755');
      expect(await mode(join(dir, 'plugins/p1/rootfs/plugin'))).toBe('755');
      expect(await mode(outside)).toBe('644');
      expect(await tightenDataDirModes(dir)).toEqual([]);
    } finally {
      await rm(outside, { force: true });
    }
  });
});
