import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleDaemon } from './bundle-daemon.js';
import { publishManifest, type PublishedPackage } from './manifest.js';
import { CLI_PACKAGE, DAEMON_PACKAGE, PUBLISHED_PACKAGES } from './packages.js';
import { readRootFacts, WORKSPACE_ROOT } from './workspace.js';

const run = promisify(execFile);

export interface Tarball {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the .tgz. */
  readonly file: string;
  /** The staged package directory it was packed from (for `npm publish --dry-run`). */
  readonly stageDir: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly string[];
}

/**
 * Builds both npm packages from the built workspace (run `npm run build` first) into `outDir`:
 * `outDir/stage/<id>/` is each package as it ships, `outDir/<name>-<version>.tgz` its tarball.
 */
export async function buildRelease(outDir: string, root = WORKSPACE_ROOT): Promise<Tarball[]> {
  const facts = readRootFacts(root);
  const stageRoot = join(outDir, 'stage');
  await rm(stageRoot, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const tarballs: Tarball[] = [];
  for (const pkg of PUBLISHED_PACKAGES) {
    const dir = join(stageRoot, pkg.id);
    await mkdir(join(dir, 'dist'), { recursive: true });
    await stageCode(pkg, dir, root, facts.version);
    for (const bin of Object.values(pkg.bin)) await chmod(join(dir, bin), 0o755);
    await writeFile(join(dir, 'package.json'), JSON.stringify(publishManifest(pkg, facts), null, 2) + '\n');
    await cp(join(root, 'packages/release/npm', pkg.id, 'README.md'), join(dir, 'README.md'));
    await cp(join(root, 'LICENSE'), join(dir, 'LICENSE'));
    tarballs.push({ ...(await npmPack(dir, outDir)), stageDir: dir });
  }
  return tarballs;
}

async function stageCode(pkg: PublishedPackage, dir: string, root: string, version: string): Promise<void> {
  if (pkg === CLI_PACKAGE) {
    // The CLI's build already bundles it (packages/cli/scripts/bundle.mjs): main.js and the chunks
    // it loads on demand. The rest of its dist/ (tsc's modules, maps, types) is for importers.
    const dist = join(root, 'packages/cli/dist');
    await cp(join(dist, 'main.js'), join(dir, 'dist/main.js'));
    await mkdir(join(dir, 'dist/chunks'));
    for (const chunk of (await readdir(join(dist, 'chunks'))).filter((f) => f.endsWith('.js'))) {
      await cp(join(dist, 'chunks', chunk), join(dir, 'dist/chunks', chunk));
    }
  } else if (pkg === DAEMON_PACKAGE) {
    await bundleDaemon(join(root, 'apps/flotillad/dist/main.js'), join(dir, 'dist/flotillad.js'), version);
  } else {
    throw new Error(`release: no recipe for ${pkg.name}`);
  }
}

interface NpmPackJson {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

async function npmPack(dir: string, outDir: string): Promise<Omit<Tarball, 'stageDir'>> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: dir, maxBuffer: 16 << 20 });
  const [packed] = JSON.parse(stdout) as NpmPackJson[];
  if (!packed) throw new Error(`npm pack in ${dir} reported nothing`);
  return {
    name: packed.name,
    version: packed.version,
    file: join(outDir, packed.filename),
    size: packed.size,
    unpackedSize: packed.unpackedSize,
    files: packed.files.map((f) => f.path).sort(),
  };
}
