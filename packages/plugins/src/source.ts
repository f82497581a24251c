// Reading a plugin source on the machine that installs it: a folder or a .tar.gz holding
// config.json and rootfs/. The rootfs travels as a gzip tar (what `docker import` takes).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { parsePluginConfig, type PluginConfig } from './config.js';

export interface PluginSource {
  configJson: string;
  config: PluginConfig;
  /** gzip tar of the rootfs, entries relative to rootfs/, owners 0:0. */
  rootfs: Buffer;
  /** sha256:<hex> of `rootfs`. */
  rootfsDigest: string;
}

export class PluginSourceError extends Error {
  override readonly name = 'PluginSourceError';
}

export const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export function isArchivePath(path: string): boolean {
  return /\.(tar\.gz|tgz|tar)$/.test(path);
}

/** Reads a plugin folder or archive; `maxRootfsBytes` caps the compressed rootfs. */
export async function readPluginSource(path: string, maxRootfsBytes: number): Promise<PluginSource> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new PluginSourceError(`${path}: no such file or directory`);
  if (info.isDirectory()) return readPluginDir(path, maxRootfsBytes);
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-plugin-'));
  try {
    await tar.x({ file: path, cwd: dir, strict: true, preserveOwner: false }).catch((err: Error) => {
      throw new PluginSourceError(`${path}: not a plugin archive (.tar.gz with config.json and rootfs/): ${err.message}`);
    });
    return await readPluginDir(dir, maxRootfsBytes, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readPluginDir(dir: string, maxRootfsBytes: number, shownAs = dir): Promise<PluginSource> {
  const configJson = await readFile(join(dir, 'config.json'), 'utf8').catch(() => {
    throw new PluginSourceError(`${shownAs}: no config.json`);
  });
  const config = parsePluginConfig(configJson);
  const rootfsInfo = await stat(join(dir, 'rootfs')).catch(() => undefined);
  if (!rootfsInfo?.isDirectory()) throw new PluginSourceError(`${shownAs}: no rootfs/ folder`);
  const rootfs = await packRootfs(join(dir, 'rootfs'), maxRootfsBytes, shownAs);
  return { configJson, config, rootfs, rootfsDigest: digestOf(rootfs) };
}

async function packRootfs(rootfsDir: string, maxBytes: number, shownAs: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // portable: no uid/gid/mtime noise, so the same folder gives the same digest.
  const stream = tar.c({ gzip: true, cwd: rootfsDir, portable: true, noMtime: true }, ['.']);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new PluginSourceError(`${shownAs}: the compressed rootfs is larger than ${maxBytes} bytes; install a plugin this large from a local image instead`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * config.json out of a tar stream (what the engine's archive endpoint returns for one file of
 * an image), for plugins installed from a local image that carries /config.json.
 */
export async function configFromTar(stream: NodeJS.ReadableStream, shownAs: string): Promise<string> {
  let found: string | undefined;
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      if (entry.path.replace(/^\.?\//, '') !== 'config.json' || (entry.size ?? 0) > MAX_CONFIG_BYTES) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        found = Buffer.concat(chunks).toString('utf8');
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    stream.on('error', reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
  if (found === undefined) throw new PluginSourceError(`${shownAs} has no /config.json of at most ${MAX_CONFIG_BYTES} bytes`);
  return found;
}
