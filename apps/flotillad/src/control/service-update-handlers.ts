import {
  NodeState,
  validateServiceSpec,
  type RollbackServiceRequest,
  type Service,
  type ServiceView,
  type UpdateServiceRequest,
} from '@flotilla/api';
import { beginRollback, beginUpdate } from '@flotilla/orchestrator';
import type { ReadTx } from '@flotilla/raft';
import type { Logger } from 'pino';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { writeStore } from '../manager/store-writer.js';
import { checkServiceNetworks } from './service-network-check.js';
import { resolveFileReferences } from './config-lookup.js';
import { ControlError, invalidArgument } from './control-error.js';
import { findService } from './lookup.js';
import { unary } from './unary.js';
import { serviceView } from './views.js';
import { upToDateManager } from './up-to-date-manager.js';

function viewOf(view: ReadTx, service: Service): ServiceView {
  const ready = [...view.nodes.all()].filter((n) => n.status?.state === NodeState.NODE_STATE_READY).length;
  return serviceView(service, view.tasks.byService(service.id), ready);
}

/** Refusals of beginUpdate/beginRollback are the caller's input: one line for the CLI. */
function refusal(err: unknown): never {
  throw invalidArgument(err instanceof Error ? err.message : String(err));
}

/**
 * `service update` and `service rollback`: write the new spec and update status; the leader's
 * orchestrator then replaces the tasks batch by batch (see @flotilla/orchestrator's planUpdate).
 */
export function serviceUpdateHandlers(swarm: SwarmController, log: Logger) {
  return {
    updateService: unary(log, 'UpdateService', async (req: UpdateServiceRequest): Promise<ServiceView> => {
      const rt = await upToDateManager(swarm);
      if (!req.spec) throw invalidArgument('a service spec is required');
      const spec = validateServiceSpec(req.spec);
      const id = findService(rt.member.store.view(), req.service).id;
      let written: Service | undefined;
      await writeStore(rt.member, (view, tx) => {
        const service = findService(view, id);
        if (req.version !== 0 && service.meta?.version !== req.version) {
          throw new ControlError(
            GrpcStatus.FAILED_PRECONDITION,
            `update out of sequence: service ${service.spec?.annotations?.name} changed since it was read (version ${req.version}, now ${service.meta?.version})`,
          );
        }
        checkServiceNetworks(view, spec);
        const resolved = resolveFileReferences(view, spec);
        try {
          written = beginUpdate(service, resolved, Date.now());
        } catch (err) {
          refusal(err);
        }
        tx.update('service', written);
      });
      log.info({ serviceId: id, specVersion: written?.specVersion }, 'service update started');
      const view = rt.member.store.view();
      return viewOf(view, findService(view, id));
    }),
    rollbackService: unary(log, 'RollbackService', async (req: RollbackServiceRequest): Promise<ServiceView> => {
      const rt = await upToDateManager(swarm);
      const id = findService(rt.member.store.view(), req.service).id;
      let written: Service | undefined;
      await writeStore(rt.member, (view, tx) => {
        try {
          written = beginRollback(findService(view, id), Date.now());
        } catch (err) {
          refusal(err);
        }
        tx.update('service', written);
      });
      log.info({ serviceId: id, specVersion: written?.specVersion }, 'service rollback started');
      const view = rt.member.store.view();
      return viewOf(view, findService(view, id));
    }),
  };
}
