import {
  NodeState,
  ServiceMode,
  isJobMode,
  modeName,
  newId,
  validateServiceSpec,
  type CreateServiceRequest,
  type GetServiceRequest,
  type ListServicesResponse,
  type ListTasksRequest,
  type ListTasksResponse,
  type RemoveServiceRequest,
  type RemoveServiceResponse,
  type ScaleServiceRequest,
  type Service,
  type ServiceView,
} from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { beginUpdate } from '@flotilla/orchestrator';
import type { Logger } from 'pino';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { writeStore } from '../manager/store-writer.js';
import { checkServiceNetworks } from './service-network-check.js';
import { alreadyExists, invalidArgument } from './control-error.js';
import { findService } from './lookup.js';
import { resolveFileReferences } from './config-lookup.js';
import { unary } from './unary.js';
import { serviceView } from './views.js';
import { serviceUpdateHandlers } from './service-update-handlers.js';
import { upToDateManager } from './up-to-date-manager.js';

function viewOf(view: ReadTx, service: Service): ServiceView {
  const ready = [...view.nodes.all()].filter((n) => n.status?.state === NodeState.NODE_STATE_READY).length;
  return serviceView(service, view.tasks.byService(service.id), ready);
}

export function serviceHandlers(swarm: SwarmController, log: Logger) {
  return {
    ...serviceUpdateHandlers(swarm, log),
    createService: unary(log, 'CreateService', async (req: CreateServiceRequest): Promise<ServiceView> => {
      const rt = await upToDateManager(swarm);
      if (!req.spec) throw invalidArgument('a service spec is required');
      const spec = validateServiceSpec(req.spec);
      const id = newId();
      await writeStore(rt.member, (view, tx) => {
        if (view.services.byName(spec.annotations?.name ?? '')) {
          throw alreadyExists(`name conflicts with an existing object: service ${spec.annotations?.name} already exists`);
        }
        checkServiceNetworks(view, spec);
        tx.create('service', { id, spec: resolveFileReferences(view, spec), specVersion: 1 });
      });
      log.info({ serviceId: id, name: spec.annotations?.name }, 'service created');
      const view = rt.member.store.view();
      return viewOf(view, findService(view, id));
    }),
    listServices: unary(log, 'ListServices', async (): Promise<ListServicesResponse> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      return { services: [...view.services.all()].map((s) => viewOf(view, s)) };
    }),
    getService: unary(log, 'GetService', async (req: GetServiceRequest): Promise<ServiceView> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      return viewOf(view, findService(view, req.service));
    }),
    scaleService: unary(log, 'ScaleService', async (req: ScaleServiceRequest): Promise<ServiceView> => {
      const rt = await upToDateManager(swarm);
      const id = findService(rt.member.store.view(), req.service).id;
      await writeStore(rt.member, (view, tx) => {
        const service = findService(view, id);
        const mode = service.spec?.mode ?? ServiceMode.SERVICE_MODE_REPLICATED;
        if (mode === ServiceMode.SERVICE_MODE_GLOBAL || mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB) {
          throw invalidArgument(`scale can only be used with replicated or replicated-job mode (service ${service.spec?.annotations?.name} is ${modeName(mode)})`);
        }
        if (service.spec?.replicas === req.replicas) return false;
        const spec = validateServiceSpec({ ...service.spec, replicas: req.replicas });
        // Scaling a job changes its completions and runs it again from zero (docker), as an update does.
        tx.update('service', isJobMode(mode) ? beginUpdate(service, spec, Date.now()) : { ...service, spec, previousSpec: service.spec });
      });
      log.info({ serviceId: id, replicas: req.replicas }, 'service scaled');
      const view = rt.member.store.view();
      return viewOf(view, findService(view, id));
    }),
    removeService: unary(log, 'RemoveService', async (req: RemoveServiceRequest): Promise<RemoveServiceResponse> => {
      const rt = await upToDateManager(swarm);
      const id = findService(rt.member.store.view(), req.service).id;
      // The orchestrator shuts the service's tasks down once the service is gone.
      await writeStore(rt.member, (view, tx) => {
        tx.delete('service', findService(view, id));
      });
      log.info({ serviceId: id }, 'service removed');
      return { id };
    }),
    listTasks: unary(log, 'ListTasks', async (req: ListTasksRequest): Promise<ListTasksResponse> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      const service = findService(view, req.service);
      const wanted = new Set(req.desiredStates);
      const tasks = view.tasks.byService(service.id).filter((t) => wanted.size === 0 || wanted.has(t.desiredState));
      const nodeHostnames: Record<string, string> = {};
      for (const t of tasks) {
        if (t.nodeId && !(t.nodeId in nodeHostnames)) nodeHostnames[t.nodeId] = view.nodes.get(t.nodeId)?.description?.hostname ?? '';
      }
      return { tasks, nodeHostnames, service };
    }),
  };
}
