import { RootRotationNotice } from '@flotilla/api';
import { publishMessage, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { rotationNotice, rotationStatus } from '@flotilla/ca';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { rotationNoticeSubject } from '../swarm/rotation-notices.js';
import { pemText, type RootCaSource } from './root-ca-source.js';
import { newRootCurrent, nodeCertRecords, resealedSecrets, rotationFinished } from './root-rotation.js';
import { repeatOnStoreChanges } from './repeat-on-store-changes.js';
import { writeStore } from './store-writer.js';

/** How often pending nodes are told again: a notice is fire-and-forget and a node may have been reconnecting. */
export const ROTATION_NOTICE_REPEAT_MS = 2_000;

/**
 * Leader only: moves a root CA rotation along. On every node/cluster change and every
 * ROTATION_NOTICE_REPEAT_MS it tells each node still to renew (on the node's own subject, which a
 * worker may subscribe to), and takes the next step once nobody is pending: make the new root
 * current (tokens and secrets in the same transaction), then drop the rotation record.
 */
export function driveRootRotation(member: RaftMember, bus: BusConnection, subjects: ClusterSubjects, roots: RootCaSource, clusterId: string, log: Logger): { stop(): void } {
  let writing = false;
  return repeatOnStoreChanges(member, { kinds: ['node', 'cluster'] }, ROTATION_NOTICE_REPEAT_MS, () => {
    const rotation = roots.rotation();
    if (!rotation) return;
    const view = member.store.view();
    const status = rotationStatus(nodeCertRecords(view.nodes.all(), view.clusters.get(clusterId)?.deniedNodeIds ?? []), rotation);
    const notice = rotationNotice(rotation);
    for (const nodeId of status.pending) publishMessage(bus.nc, rotationNoticeSubject(subjects, nodeId), RootRotationNotice, notice);
    if (status.action === 'wait' || writing) return;
    writing = true;
    const doing = status.action === 'make-new-root-current' ? 'making the new root CA current' : 'finishing the root CA rotation';
    writeStore(member, (v, tx) => {
      const cluster = v.clusters.get(clusterId);
      const record = cluster?.rootCa?.rotation;
      if (!cluster || !record) return false;
      if (status.action === 'make-new-root-current') {
        if (record.oldRootDropped) return false;
        const next = newRootCurrent(cluster, rotation, pemText(cluster.rootCa!.caKey), v.secrets.all());
        tx.update('cluster', next.cluster);
        for (const secret of next.secrets) tx.update('secret', secret);
        log.info({ rootDigest: rotation.newRoot.digest, resealedSecrets: next.secrets.length, nodes: status.total }, 'root CA rotation: every node holds a new-root certificate; the new root is current, join tokens rotated, secrets re-sealed');
      } else {
        if (!record.oldRootDropped) return false;
        // A secret sealed under the old key as the new root became current; older records kept no old key.
        const stragglers = record.oldCaKey.length > 0 ? resealedSecrets(clusterId, pemText(record.oldCaKey), rotation.newRoot.keyPem, v.secrets.all()) : [];
        tx.update('cluster', rotationFinished(cluster));
        for (const secret of stragglers) tx.update('secret', secret);
        log.info({ rootDigest: rotation.newRoot.digest, nodes: status.total, resealedSecrets: stragglers.length }, 'root CA rotation done: every node trusts the new root alone');
      }
      return undefined;
    })
      .catch((err: unknown) => log.error({ err, rootDigest: rotation.newRoot.digest }, `root CA rotation: ${doing} failed; retrying`))
      .finally(() => {
        writing = false;
      });
  });
}
