// Each fixture's merged, interpolated model printed as `docker compose config` would (expected.yml,
// written from the compose specification), and cross-checked key by key against what the real
// docker-compose 1.29.2 printed for the same files (expected.compose-v1.yml, see fixtures/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseMemoryBytes } from '@flotilla/api';
import { printCompose } from '../src/index.js';
import { FIXTURES, loadFixture } from './helpers.js';

const CASES: Array<[string, string[], Record<string, string>]> = [
  ['basic', ['docker-compose.yml'], { B: 'bee' }],
  ['override', ['base.yml', 'override.yml'], {}],
  ['votingapp', ['docker-stack.yml'], {}],
  ['monitoring', ['docker-compose.yml'], {}],
];

const expected = (dir: string, file: string): string => readFileSync(join(FIXTURES, dir, file), 'utf8').split('$FIXTURE').join(join(FIXTURES, dir));

describe('compose fixtures', () => {
  it.each(CASES)('%s: stack config prints expected.yml', (dir, files, env) => {
    expect(printCompose(loadFixture(dir, files, env).model)).toBe(expected(dir, 'expected.yml'));
  });

  // Keys docker-compose v1 prints in the same shape as compose v2: these must agree value for value.
  it.each(CASES)('%s: agrees with docker-compose 1.29.2 on the merged values', (dir, files, env) => {
    const ours = parse(printCompose(loadFixture(dir, files, env).model)) as { services: Record<string, Record<string, unknown>> };
    const v1 = parse(expected(dir, 'expected.compose-v1.yml')) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(ours.services).sort()).toEqual(Object.keys(v1.services).sort());
    for (const [name, theirs] of Object.entries(v1.services)) {
      const mine = ours.services[name]!;
      for (const key of ['image', 'environment', 'labels', 'healthcheck', 'logging', 'stop_grace_period', 'user', 'working_dir', 'configs', 'secrets']) {
        expect([name, key, mine[key]]).toEqual([name, key, theirs[key]]);
      }
      // v1 sorts placement constraints and keeps memory as written; the rest of deploy is the same.
      const deploy = (d: unknown) => {
        const copy = structuredClone((d ?? {}) as { placement?: { constraints?: string[] }; resources?: Record<string, { memory?: string }> });
        if (copy.placement?.constraints) copy.placement.constraints.sort();
        // v1 keeps deploy.labels as a list when written so; v2 prints a mapping.
        const labels = (copy as Record<string, unknown>)['labels'];
        if (Array.isArray(labels)) (copy as Record<string, unknown>)['labels'] = Object.fromEntries(labels.map((l: string) => l.split('=')));
        // v1 keeps "128M" as written; v2 prints bytes.
        for (const r of Object.values(copy.resources ?? {})) if (r.memory !== undefined) r.memory = String(parseMemoryBytes(String(r.memory)));
        // v1 keeps durations as written ("120s"); v2 prints Go's form ("2m0s").
        const walk = (o: Record<string, unknown>) => {
          for (const [k, v] of Object.entries(o)) {
            if (['delay', 'window', 'monitor'].includes(k) && typeof v === 'string') o[k] = parseDuration(v);
            else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>);
          }
        };
        walk(copy as Record<string, unknown>);
        return copy;
      };
      expect([name, deploy(mine['deploy'])]).toEqual([name, deploy(theirs['deploy'])]);
      const deps = (d: unknown) => Object.fromEntries(Object.entries((d ?? {}) as Record<string, { condition: string }>).map(([k, v]) => [k, v.condition]));
      expect([name, deps(mine['depends_on'])]).toEqual([name, deps(theirs['depends_on'])]);
      expect([name, Object.keys((mine['networks'] ?? {}) as object).sort()]).toEqual([name, Object.keys((theirs['networks'] ?? { default: null }) as object).sort()]);
      const ports = (list: unknown) => ((list ?? []) as Array<{ published?: string | number; target: number; protocol?: string; mode?: string }>).map((p) => `${p.published ?? ''}:${p.target}/${p.protocol ?? 'tcp'}/${p.mode ?? 'ingress'}`).sort();
      expect([name, ports(mine['ports'])]).toEqual([name, ports(theirs['ports'])]);
    }
  });

  it('reports the keys a stack ignores, like docker', () => {
    expect(loadFixture('basic', ['docker-compose.yml'], { B: 'bee' }).unsupported).toEqual(['restart']);
  });
});
