import type { GetRootCaRequest, RootCaView, RotateRootCaRequest } from '@flotilla/api';
import { rotationStatus } from '@flotilla/ca';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import { clusterStartingRotation, nodeCertRecords, rootCaView, rotationRefusal } from '../manager/root-rotation.js';
import { writeStore } from '../manager/store-writer.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { ControlError, unavailable } from './control-error.js';
import { unary } from './unary.js';
import { upToDateManager } from './up-to-date-manager.js';

function currentView(rt: ManagerRuntime): RootCaView {
  const view = rt.member.store.view();
  const rotation = rt.roots.rotation();
  const nodes = nodeCertRecords(view.nodes.all(), rt.cluster()?.deniedNodeIds ?? []);
  return rootCaView(rt.roots.current().certPem, rotation, rotation ? rotationStatus(nodes, rotation) : undefined, nodes.length);
}

/** swarm ca [--rotate]: the root CA certificate, and a rotation to a new root that the leader then drives. */
export function caHandlers(swarm: SwarmController, log: Logger) {
  return {
    getRootCa: unary(log, 'GetRootCa', async (_req: GetRootCaRequest): Promise<RootCaView> => currentView(await upToDateManager(swarm))),
    rotateRootCa: unary(log, 'RotateRootCa', async (_req: RotateRootCaRequest): Promise<RootCaView> => {
      const rt = await upToDateManager(swarm);
      const cluster = rt.cluster();
      if (!cluster) throw unavailable(`cluster ${rt.state.clusterId} is not in the store yet`);
      const refusal = rotationRefusal(cluster);
      if (refusal) throw new ControlError(GrpcStatus.FAILED_PRECONDITION, refusal);
      // The new key is made once, outside the write, so a retried write does not make another.
      const started = clusterStartingRotation(cluster, rt.roots.current());
      await writeStore(rt.member, (view, tx) => {
        const now = view.clusters.get(rt.state.clusterId);
        if (!now) throw unavailable(`cluster ${rt.state.clusterId} is not in the store yet`);
        const again = rotationRefusal(now);
        if (again) throw new ControlError(GrpcStatus.FAILED_PRECONDITION, again);
        tx.update('cluster', { ...now, rootCa: { ...now.rootCa!, rotation: started.rootCa!.rotation } });
      });
      log.info({ clusterId: rt.state.clusterId, newRootDigest: rt.roots.rotation()?.newRoot.digest }, 'root CA rotation started');
      return currentView(rt);
    }),
  };
}
