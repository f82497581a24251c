import { describe, expect, it } from 'vitest';
import { BackupFileError, decodeBackupFile, encodeBackupFile, SwarmBackup } from '../src/index.js';

const backup = SwarmBackup.fromPartial({
  clusterId: 'c1',
  nodeId: 'n1',
  createdAtMs: 1_700_000_000_000,
  flotillaVersion: '0.1.0',
  swarmStateJson: '{"clusterId":"c1"}',
  caCertPem: 'CA CERT',
  caKeyPem: 'CA KEY',
  nodeCertPem: 'NODE CERT',
  nodeKeyPem: 'NODE KEY',
  raftIndex: 42,
  raftTerm: 3,
  raftVoters: [7, 8, 9],
  storeSnapshot: Buffer.from('snapshot bytes'),
});

describe('the swarm backup file', () => {
  it('reads back what was written', () => {
    const file = encodeBackupFile(backup);
    expect(Buffer.from(file).subarray(0, 24).toString()).toBe('FLOTILLA-SWARM-BACKUP-1\n');
    expect(decodeBackupFile(file)).toEqual(backup);
  });

  it('refuses a file that is not a backup, a damaged one, and a truncated one, saying which', () => {
    const file = Buffer.from(encodeBackupFile(backup));
    expect(() => decodeBackupFile(Buffer.from('{"not":"a backup"}'))).toThrow(new BackupFileError('not a flotilla swarm backup (it does not start with FLOTILLA-SWARM-BACKUP-1)'));
    const flipped = Buffer.from(file);
    flipped[flipped.length - 3]! ^= 0x40;
    expect(() => decodeBackupFile(flipped)).toThrow(/the swarm backup is damaged: its SHA-256 does not match/);
    expect(() => decodeBackupFile(file.subarray(0, file.length - 10))).toThrow(/damaged/);
    expect(() => decodeBackupFile(file.subarray(0, 30))).toThrow(/not a flotilla swarm backup/);
  });

  it('refuses a well-formed file that lacks what a restore needs', () => {
    const file = encodeBackupFile({ ...backup, caKeyPem: '', raftVoters: [] });
    expect(() => decodeBackupFile(file)).toThrow('the swarm backup is incomplete (missing: CA key, Raft voters)');
  });
});
