import { open, readFile, rename, rm } from 'node:fs/promises';
import { BackupFileError, decodeBackupFile } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';

/**
 * swarm backup FILE: the manager's backup file, written whole (a temporary file, fsync, rename)
 * with mode 0600 from its first byte: it holds the root CA key and every secret.
 */
export async function swarmBackupCommand(ctx: CommandContext, file: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const out = await open(tmp, 'wx', 0o600).catch((err: unknown) => {
    throw new CliError(`cannot write the backup next to ${file}: ${(err as Error).message}`);
  });
  let stillOpen = true;
  const api = ctx.connect();
  try {
    // Pieces are written in the order they arrive.
    let writing = Promise.resolve();
    const stream = api.swarmBackup((data) => {
      writing = writing.then(async () => {
        await out.write(data);
      });
    });
    await stream.done;
    await writing;
    await out.sync();
    await out.close();
    stillOpen = false;
    const backup = decodeBackupFile(await readFile(tmp));
    await rename(tmp, file);
    ctx.out(
      `Swarm backup written to ${file}: swarm ${backup.clusterId}, manager ${backup.nodeId}, Raft index ${backup.raftIndex}.\n` +
        'It holds the root CA key and every secret of the swarm: keep it as safe as a manager (it was written 0600).\n',
    );
  } catch (err) {
    if (stillOpen) await out.close().catch(() => undefined);
    await rm(tmp, { force: true });
    if (err instanceof BackupFileError) throw new CliError(`the backup the daemon sent does not check out: ${err.message}`);
    throw err;
  } finally {
    api.close();
  }
}

/** swarm restore FILE: checked here first (a bad file never reaches the daemon), then sent whole. */
export async function swarmRestoreCommand(ctx: CommandContext, file: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new CliError(`cannot read the backup ${file}: ${(err as Error).message}`);
  }
  try {
    decodeBackupFile(bytes);
  } catch (err) {
    if (err instanceof BackupFileError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  }
  const api = ctx.connect();
  try {
    const res = await api.swarmRestore(bytes);
    ctx.out(
      `Swarm restored from ${file}: current node (${res.nodeId}) is now the only manager of swarm ${res.clusterId}, as of Raft index ${res.raftIndex}.\n\n` +
        (res.droppedManagers.length > 0
          ? `The other managers of the backup (${res.droppedManagers.join(', ')}) are no longer part of the swarm: their certificates are refused.\n\n`
          : '') +
        'To add a worker to this swarm, run the following command:\n\n' +
        `    ${res.workerJoinCommand}\n\n` +
        "To add a manager to this swarm, run 'flotilla swarm join-token manager' and follow the instructions.\n\n",
    );
  } finally {
    api.close();
  }
}
