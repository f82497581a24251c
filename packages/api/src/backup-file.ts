import { createHash } from 'node:crypto';
import { SwarmBackup } from './gen/flotilla/backup.js';

/** First bytes of every swarm backup file (format 1). */
const MAGIC = Buffer.from('FLOTILLA-SWARM-BACKUP-1\n', 'ascii');
const DIGEST_BYTES = 32;

/** A file that is not a swarm backup, or one damaged since it was written. */
export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
}

/** The backup file: magic, SHA-256 of the encoded message, the encoded SwarmBackup. */
export function encodeBackupFile(backup: SwarmBackup): Uint8Array {
  const body = Buffer.from(SwarmBackup.encode(backup).finish());
  return Buffer.concat([MAGIC, createHash('sha256').update(body).digest(), body]);
}

/** Reads a backup file, refusing one that is not a swarm backup, is damaged, or lacks what a restore needs. */
export function decodeBackupFile(bytes: Uint8Array): SwarmBackup {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + DIGEST_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupFileError('not a flotilla swarm backup (it does not start with FLOTILLA-SWARM-BACKUP-1)');
  }
  const digest = buf.subarray(MAGIC.length, MAGIC.length + DIGEST_BYTES);
  const body = buf.subarray(MAGIC.length + DIGEST_BYTES);
  if (!createHash('sha256').update(body).digest().equals(digest)) {
    throw new BackupFileError(`the swarm backup is damaged: its SHA-256 does not match its ${body.length} bytes of content (truncated or altered)`);
  }
  let backup: SwarmBackup;
  try {
    backup = SwarmBackup.decode(body);
  } catch (err) {
    throw new BackupFileError(`the swarm backup does not decode: ${(err as Error).message}`);
  }
  const missing = (
    [
      ['cluster id', backup.clusterId !== ''],
      ['node id', backup.nodeId !== ''],
      ['swarm state', backup.swarmStateJson !== ''],
      ['CA certificate', backup.caCertPem !== ''],
      ['CA key', backup.caKeyPem !== ''],
      ['node certificate', backup.nodeCertPem !== ''],
      ['node key', backup.nodeKeyPem !== ''],
      ['Raft index and term', backup.raftIndex > 0 && backup.raftTerm > 0],
      ['Raft voters', backup.raftVoters.length > 0],
      ['store snapshot', backup.storeSnapshot.length > 0],
    ] as const
  )
    .filter(([, present]) => !present)
    .map(([name]) => name);
  if (missing.length > 0) throw new BackupFileError(`the swarm backup is incomplete (missing: ${missing.join(', ')})`);
  return backup;
}
