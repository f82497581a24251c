import { RootRotationNotice } from '@flotilla/api';
import { subscribeMessages, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { needsRenewalFor } from '@flotilla/ca';
import type { Logger } from 'pino';
import type { NodeCertRenewal } from './cert-renewal.js';

/** A node's own root CA rotation notices: under `node.<id>.>`, the subtree a worker may subscribe to. */
export function rotationNoticeSubject(subjects: ClusterSubjects, nodeId: string): string {
  return subjects.node.all(nodeId).replace(/>$/, 'ca-rotation');
}

/**
 * Renews at once when the leader says the node's certificate or trust lags a root CA rotation
 * (and not again for the repeats once it has caught up). The renewal installs the new certificate
 * and trust bundle and reloads every TLS user, as a scheduled one does.
 */
export function followRotationNotices(nc: BusConnection['nc'], subjects: ClusterSubjects, nodeId: string, renewal: NodeCertRenewal, log: Logger): { stop(): Promise<void> } {
  const sub = subscribeMessages(
    nc,
    rotationNoticeSubject(subjects, nodeId),
    RootRotationNotice,
    async (notice) => {
      if (!needsRenewalFor(notice, renewal.current())) return;
      log.info({ nodeId, rootDigest: notice.rootDigest, oldRootDropped: notice.oldRootDropped }, 'root CA rotation: renewing the node certificate now');
      await renewal.renewNow().catch((err: unknown) => log.warn({ nodeId, err: (err as Error).message }, 'root CA rotation: renewing failed; the next notice retries'));
    },
    { logger: log },
  );
  return { stop: async () => sub.stop() };
}
