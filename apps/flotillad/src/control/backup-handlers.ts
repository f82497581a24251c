import { encodeBackupFile, type SwarmBackupChunk, type SwarmBackupRequest, type SwarmRestoreChunk, type SwarmRestoreResponse } from '@flotilla/api';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ServerStream } from '../logs/server-stream.js';
import { backupOf } from '../swarm/backup.js';
import { swarmFiles } from '../swarm/swarm-state.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { daemonVersion } from '../version.js';
import { invalidArgument } from './control-error.js';
import { workerJoinCommand } from './swarm-handlers.js';
import { clientStream } from './unary.js';
import { upToDateManager } from './up-to-date-manager.js';

/** Pieces a backup file travels in: well under gRPC's 4 MiB message limit. */
const CHUNK_BYTES = 1024 * 1024;
/** The largest backup file a restore takes (a store of a few hundred thousand objects fits). */
export const MAX_BACKUP_BYTES = 256 * 1024 * 1024;

/** swarm backup FILE / swarm restore FILE (issue 14). */
export function backupHandlers(swarm: SwarmController, dataDir: string, log: Logger) {
  return {
    swarmBackup: (call: ServerWritableStream<SwarmBackupRequest, SwarmBackupChunk>): void => {
      const out = new ServerStream<SwarmBackupChunk>(call, 'SwarmBackup', log);
      Promise.resolve()
        .then(async () => {
          // After a read barrier: the backup holds everything the swarm committed before the call.
          const rt = await upToDateManager(swarm);
          const backup = await backupOf(rt, swarmFiles(dataDir), daemonVersion());
          const file = encodeBackupFile(backup);
          log.info({ component: 'control', nodeId: rt.state.nodeId, raftIndex: backup.raftIndex, bytes: file.length }, 'swarm backup taken');
          for (let at = 0; at < file.length; at += CHUNK_BYTES) await out.write({ data: Buffer.from(file.subarray(at, at + CHUNK_BYTES)) });
        })
        .then(
          () => out.end(),
          (err: unknown) => out.fail(err),
        );
    },
    swarmRestore: clientStream(log, 'SwarmRestore', async (chunks: AsyncIterable<SwarmRestoreChunk>): Promise<SwarmRestoreResponse> => {
      const pieces: Buffer[] = [];
      let size = 0;
      for await (const chunk of chunks) {
        size += chunk.data.length;
        if (size > MAX_BACKUP_BYTES) throw invalidArgument(`the backup is larger than ${MAX_BACKUP_BYTES} bytes: not a flotilla swarm backup`);
        pieces.push(Buffer.from(chunk.data));
      }
      const { runtime, dropped, raftIndex } = await swarm.restoreBackup(Buffer.concat(pieces));
      return { nodeId: runtime.state.nodeId, clusterId: runtime.state.clusterId, raftIndex, droppedManagers: dropped, workerJoinCommand: workerJoinCommand(runtime) };
    }),
  };
}
