import type {
  GetNodeRequest,
  ListNodeTasksRequest,
  ListNodesResponse,
  ListTasksResponse,
  Node,
  NodeView,
  RemoveNodeRequest,
  RemoveNodeResponse,
  UpdateNodeRequest,
} from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { validateNodeSpec } from '@flotilla/api';
import type { Logger } from 'pino';
import type { SwarmController } from '../swarm/swarm-controller.js';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import { writeStore } from '../manager/store-writer.js';
import { findNode } from './lookup.js';
import { unary } from './unary.js';
import { nodeView } from './views.js';
import { ControlError, invalidArgument, notFound } from './control-error.js';
import { denyNode, nodeRemovalRefusal } from './node-removal.js';
import { roleChangeRefusal } from './node-role.js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { upToDateManager } from './up-to-date-manager.js';

/** findNode, but an unknown node reads "no such node: X" as docker's node commands say it. */
function findNodeOrNoSuch(view: ReadTx, ref: string): Node {
  try {
    return findNode(view, ref);
  } catch (err) {
    if (err instanceof ControlError && err.code === GrpcStatus.NOT_FOUND) throw notFound(`no such node: ${ref}`);
    throw err;
  }
}

export function nodeHandlers(swarm: SwarmController, log: Logger) {
  const viewOf = (rt: ManagerRuntime, id: string): NodeView => {
    const node = findNode(rt.member.store.view(), id);
    return nodeView(node, rt.state.nodeId, rt.member.leaderId);
  };
  return {
    listNodes: unary(log, 'ListNodes', async (): Promise<ListNodesResponse> => {
      const rt = await upToDateManager(swarm);
      const nodes = [...rt.member.store.view().nodes.all()].map((n) => nodeView(n, rt.state.nodeId, rt.member.leaderId));
      return { nodes };
    }),
    getNode: unary(log, 'GetNode', async (req: GetNodeRequest): Promise<NodeView> => viewOf(await upToDateManager(swarm), req.node)),
    updateNode: unary(log, 'UpdateNode', async (req: UpdateNodeRequest): Promise<NodeView> => {
      const rt = await upToDateManager(swarm);
      const id = findNode(rt.member.store.view(), req.node).id;
      for (const key of req.labelRm) {
        if (key === '') throw invalidArgument('--label-rm needs a label key');
      }
      await writeStore(rt.member, (view, tx) => {
        const node = findNode(view, id);
        const labels = { ...node.spec?.annotations?.labels, ...req.labelAdd };
        for (const key of req.labelRm) {
          if (!(key in labels)) throw invalidArgument(`key ${key} doesn't exist in node's labels`);
          delete labels[key];
        }
        if (req.setRole) {
          const refusal = roleChangeRefusal(view.nodes.all(), node, req.role, view.clusters.get(rt.state.clusterId)?.deniedNodeIds ?? []);
          if (refusal) throw refusal;
        }
        const spec = validateNodeSpec({
          ...node.spec,
          annotations: { name: node.spec?.annotations?.name ?? '', labels },
          ...(req.setAvailability ? { availability: req.availability } : {}),
          ...(req.setRole ? { desiredRole: req.role } : {}),
        });
        tx.update('node', { ...node, spec });
      });
      return viewOf(rt, id);
    }),
    listNodeTasks: unary(log, 'ListNodeTasks', async (req: ListNodeTasksRequest): Promise<ListTasksResponse> => {
      const view = (await upToDateManager(swarm)).member.store.view();
      const node = findNodeOrNoSuch(view, req.node);
      const wanted = new Set(req.desiredStates);
      const tasks = view.tasks.byNode(node.id).filter((t) => wanted.size === 0 || wanted.has(t.desiredState));
      return { tasks, nodeHostnames: { [node.id]: node.description?.hostname ?? '' } };
    }),
    removeNode: unary(log, 'RemoveNode', async (req: RemoveNodeRequest): Promise<RemoveNodeResponse> => {
      const rt = await upToDateManager(swarm);
      const id = findNodeOrNoSuch(rt.member.store.view(), req.node).id;
      await writeStore(rt.member, (view, tx) => {
        const node = findNodeOrNoSuch(view, id);
        const cluster = view.clusters.get(rt.state.clusterId);
        if (!cluster) throw new Error(`cluster ${rt.state.clusterId} is missing from the store while removing node ${id}`);
        const refusal = nodeRemovalRefusal(node, req.force, cluster.deniedNodeIds);
        if (refusal) throw refusal;
        tx.delete('node', node);
        tx.update('cluster', { ...cluster, deniedNodeIds: denyNode(cluster.deniedNodeIds, id) });
      });
      log.info({ component: 'control', nodeId: rt.state.nodeId, removedNodeId: id, force: req.force }, 'node removed');
      return { nodeId: id };
    }),
  };
}
