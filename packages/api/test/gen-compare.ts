import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const STALE = 'src/gen is stale: run packages/api/scripts/gen-proto.sh';

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listFiles(root, full));
    else out.push(relative(root, full));
  }
  return out.sort();
}

/** Every way `committedDir` differs from a fresh generation in `freshDir`; empty when up to date. */
export function generatedDifferences(freshDir: string, committedDir: string): string[] {
  const fresh = listFiles(freshDir);
  const committed = listFiles(committedDir);
  const problems: string[] = [];
  for (const file of fresh) {
    if (!committed.includes(file)) problems.push(`${file} is missing`);
    else if (readFileSync(join(freshDir, file), 'utf8') !== readFileSync(join(committedDir, file), 'utf8')) problems.push(`${file} differs`);
  }
  for (const file of committed) if (!fresh.includes(file)) problems.push(`${file} has no .proto any more`);
  return problems;
}
