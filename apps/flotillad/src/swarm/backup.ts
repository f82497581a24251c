import { readFile } from 'node:fs/promises';
import { NodeRole, SwarmBackup } from '@flotilla/api';
import { seedFromSnapshot } from '@flotilla/raft';
import type { Logger } from 'pino';
import { forceManagerAlone } from '../manager/force-new-cluster.js';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import { readNodePems, removeSwarmFiles, writeNodePems, type SwarmFiles, type SwarmState } from './swarm-state.js';

/**
 * `swarm backup`: this manager as it would need to come back, with the store as the swarm
 * committed it. The caller passes a read barrier first; the snapshot and its index are taken in
 * one synchronous step, so nothing is applied in between.
 */
export async function backupOf(rt: ManagerRuntime, files: SwarmFiles, flotillaVersion: string): Promise<SwarmBackup> {
  const stateJson = await readFile(files.state, 'utf8');
  const pems = await readNodePems(files);
  if (pems.caKeyPem === undefined) throw new Error(`this manager has no root CA key at ${files.caKey}: a backup without it could not sign a certificate`);
  const store = rt.member.store;
  const index = store.index;
  const snapshot = store.snapshot();
  const { term, voters } = rt.member.status();
  return SwarmBackup.fromPartial({
    clusterId: rt.state.clusterId,
    nodeId: rt.state.nodeId,
    createdAtMs: Date.now(),
    flotillaVersion,
    swarmStateJson: stateJson,
    caCertPem: pems.caCertPem,
    caKeyPem: pems.caKeyPem,
    nodeCertPem: pems.certPem,
    nodeKeyPem: pems.keyPem,
    raftIndex: index,
    raftTerm: term,
    raftVoters: voters,
    storeSnapshot: Buffer.from(snapshot),
  });
}

/** The manager state a backup comes back as; refuses one whose state file is not a manager's of that swarm. */
export function restoredState(backup: SwarmBackup): SwarmState {
  let state: SwarmState;
  try {
    state = JSON.parse(backup.swarmStateJson) as SwarmState;
  } catch (err) {
    throw new Error(`the backup's swarm state is not valid JSON: ${(err as Error).message}`);
  }
  if (state.clusterId !== backup.clusterId || state.nodeId !== backup.nodeId) {
    throw new Error(`the backup's swarm state belongs to node ${state.nodeId} of swarm ${state.clusterId}, not to node ${backup.nodeId} of swarm ${backup.clusterId}`);
  }
  if (state.role !== NodeRole.NODE_ROLE_MANAGER || !(state.raftId > 0)) throw new Error(`the backup was taken on node ${state.nodeId}, which was not a manager`);
  return state;
}

/**
 * `swarm restore`: the backed-up manager's files in this (empty) data dir, its Raft data seeded
 * from the store snapshot and forced into a group of one (the other managers of the backup are
 * dropped and denied, as with --force-new-cluster). The state file is the caller's to write last.
 * Returns the state and the dropped managers' node ids.
 */
export async function writeRestoredDataDir(files: SwarmFiles, backup: SwarmBackup, log: Logger): Promise<{ state: SwarmState; dropped: string[] }> {
  const state = restoredState(backup);
  await removeSwarmFiles(files);
  await writeNodePems(files, { certPem: backup.nodeCertPem, keyPem: backup.nodeKeyPem, caCertPem: backup.caCertPem, caKeyPem: backup.caKeyPem });
  await seedFromSnapshot(files.raftDir, { index: backup.raftIndex, term: backup.raftTerm, voters: backup.raftVoters, store: backup.storeSnapshot }, log);
  const dropped = await forceManagerAlone(files, state, log);
  // Alone, like --force-new-cluster: no routes to the backup's other managers, all dropped.
  return { state: { ...state, natsRoutes: [] }, dropped };
}
