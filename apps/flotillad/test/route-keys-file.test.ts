import { mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { readRouteKeys, routeKeysFile, writeRouteKeys } from '../src/manager/route-keys-file.js';
import { swarmFiles } from '../src/swarm/swarm-state.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function files() {
  const dir = await mkdtemp(join(tmpdir(), 'flotillad-route-keys-'));
  dirs.push(dir);
  return swarmFiles(dir);
}

describe('the pinned route keys file', () => {
  it('keeps the keys across a restart, sorted, readable by the owner only', async () => {
    const f = await files();
    expect(await readRouteKeys(f, silent)).toEqual({ keys: [], managers: [] });
    await writeRouteKeys(f, { keys: ['b'.repeat(64), 'a'.repeat(64)], managers: ['127.0.1.11:2377'] });
    expect(await readRouteKeys(f, silent)).toEqual({ keys: ['a'.repeat(64), 'b'.repeat(64)], managers: ['127.0.1.11:2377'] });
    expect((await stat(routeKeysFile(f))).mode & 0o777).toBe(0o600);
  });

  it('a damaged file pins nothing more than the node itself', async () => {
    const f = await files();
    await mkdir(f.natsDir, { recursive: true });
    for (const text of ['{', '{"keys": "x"}', `{"keys": ["${'a'.repeat(64)}", "not-a-key"]}`, `{"keys": [], "managers": ["no port"]}`]) {
      await writeFile(routeKeysFile(f), text);
      expect(await readRouteKeys(f, silent)).toEqual({ keys: [], managers: [] });
    }
  });
});
