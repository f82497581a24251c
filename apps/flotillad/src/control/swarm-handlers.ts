import type { JoinTokensRequest, JoinTokensResponse, SwarmInitRequest, SwarmInitResponse, SwarmJoinRequest, SwarmJoinResponse } from '@flotilla/api';
import { rotateJoinTokens } from '@flotilla/ca';
import type { Logger } from 'pino';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { writeStore } from '../manager/store-writer.js';
import { unary } from './unary.js';
import { upToDateManager } from './up-to-date-manager.js';

/** The command a worker joins with, as `swarm init` prints it. */
export function workerJoinCommand(rt: ManagerRuntime): string {
  return `flotilla swarm join --token ${rt.cluster()?.rootCa?.joinTokens?.worker ?? ''} ${rt.managerAddr}`;
}

export function swarmHandlers(swarm: SwarmController, log: Logger) {
  return {
    swarmInit: unary(log, 'SwarmInit', async (req: SwarmInitRequest): Promise<SwarmInitResponse> => {
      const options = {
        advertiseAddr: req.advertiseAddr,
        listenAddr: req.listenAddr,
        certExpiryMs: req.certExpiryMs,
        defaultAddrPool: req.defaultAddrPool,
        defaultAddrPoolMaskLength: req.defaultAddrPoolMaskLength,
      };
      const { runtime: rt, dropped } = req.forceNewCluster ? await swarm.forceNewCluster(options) : { runtime: await swarm.init(options), dropped: [] };
      return { nodeId: rt.state.nodeId, clusterId: rt.state.clusterId, workerJoinCommand: workerJoinCommand(rt), droppedManagers: dropped };
    }),
    swarmJoin: unary(log, 'SwarmJoin', (req: SwarmJoinRequest): Promise<SwarmJoinResponse> =>
      swarm.join({ remoteAddr: req.remoteAddr, token: req.token, advertiseAddr: req.advertiseAddr }),
    ),
    swarmLeave: unary(log, 'SwarmLeave', async (req: { force: boolean }) => {
      await swarm.leave(req.force);
      return {};
    }),
    joinTokens: unary(log, 'JoinTokens', async (req: JoinTokensRequest): Promise<JoinTokensResponse> => {
      const rt = await upToDateManager(swarm);
      const which = (['worker', 'manager', 'service'] as const).filter((k) => (k === 'worker' ? req.rotateWorker : k === 'manager' ? req.rotateManager : req.rotateService));
      if (which.length > 0) {
        await writeStore(rt.member, (view, tx) => {
          const cluster = view.clusters.get(rt.state.clusterId);
          if (!cluster?.rootCa?.joinTokens) throw new Error(`cluster ${rt.state.clusterId} has no join tokens in the store`);
          const joinTokens = which.reduce((t, k) => rotateJoinTokens(t, k, cluster.rootCa!.caCertHash), cluster.rootCa.joinTokens);
          tx.update('cluster', { ...cluster, rootCa: { ...cluster.rootCa, joinTokens } });
        });
        log.info({ which }, 'join tokens rotated');
      }
      const tokens = rt.cluster()?.rootCa?.joinTokens ?? { worker: '', manager: '', service: '' };
      return { worker: tokens.worker, manager: tokens.manager, managerAddr: rt.managerAddr, service: tokens.service };
    }),
  };
}
