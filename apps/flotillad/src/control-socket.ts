import { Server, ServerCredentials } from '@grpc/grpc-js';
import { connect } from 'node:net';
import { chmod, link, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stagingSocketPath } from './config-values.js';
import { errnoCode } from './errno.js';

export class SocketInUseError extends Error {
  override readonly name = 'SocketInUseError';
  constructor(readonly socketPath: string) {
    super(`another flotillad is using ${socketPath}`);
  }
}

export interface ControlSocket {
  readonly path: string;
  /** Removes the socket file, unless another daemon has since put its own there. */
  remove(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Serves `server` on a unix socket at `socketPath` with mode 0600.
 *
 * The socket is bound under a private staging name with a umask that makes it 0600 from its
 * first moment, then hard-linked to `socketPath`: link() never replaces an existing name, so
 * a live daemon's socket cannot be taken over, and clients never see a socket that exists but
 * does not answer yet. A leftover socket whose daemon died (nobody accepts) is replaced.
 */
export async function serveOnControlSocket(server: Server, socketPath: string): Promise<ControlSocket> {
  const staging = stagingSocketPath(socketPath, process.pid);
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  await unlink(staging).catch(() => {});
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      // Plaintext (createInsecure) is acceptable only here: the socket is local and its 0600
      // mode admits only the daemon's own user (root in production), exactly as docker.sock
      // does. Network listeners (2377) always use mutual TLS.
      server.bindAsync(`unix://${staging}`, ServerCredentials.createInsecure(), (err) =>
        err ? reject(new Error(`cannot listen on control socket ${socketPath}: ${err.message}`)) : resolve(),
      );
    });
  } finally {
    process.umask(previousUmask);
  }
  try {
    await chmod(staging, 0o600);
    const { ino } = await stat(staging);
    await linkIntoPlace(staging, socketPath);
    return {
      path: socketPath,
      async remove() {
        const current = await stat(socketPath).catch(() => undefined);
        if (current?.ino === ino) await unlink(socketPath).catch(() => {});
      },
    };
  } catch (err) {
    server.forceShutdown();
    throw err;
  } finally {
    await unlink(staging).catch(() => {});
  }
}

async function linkIntoPlace(staging: string, socketPath: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await link(staging, socketPath);
      return;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw new Error(`cannot create control socket ${socketPath}: ${(err as Error).message}`);
    }
    const existing = await lstat(socketPath).catch(() => undefined);
    if (existing && !existing.isSocket()) {
      throw new Error(`cannot create control socket ${socketPath}: a file that is not a socket is in the way`);
    }
    if (attempt >= 2 || (existing && (attempt > 0 || (await isAnswering(socketPath))))) {
      throw new SocketInUseError(socketPath);
    }
    // Nobody answers: the socket of a daemon that died without cleaning up.
    await unlink(socketPath).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw err;
    });
  }
}

function isAnswering(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    const done = (answering: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(answering);
    };
    // A listener too busy to accept within the timeout is still alive; never take its socket.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    probe.once('connect', () => done(true));
    probe.once('error', (err) => done(errnoCode(err) !== 'ECONNREFUSED' && errnoCode(err) !== 'ENOENT'));
  });
}
