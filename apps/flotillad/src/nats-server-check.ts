import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The one line flotillad prints when nats-server is missing, with how to get it. */
export const NATS_SERVER_MISSING =
  'flotillad: nats-server not found on PATH; managers run it and every node may become one: install it (Debian/Ubuntu: apt-get install nats-server)';

/**
 * The first executable `name` on `pathEnv` (a PATH value), or undefined. `isExecutable` is
 * the file test, passed in so the search itself is pure.
 */
export function findOnPath(name: string, pathEnv: string | undefined, isExecutable: (file: string) => boolean = executable): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
