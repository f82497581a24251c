import type { GetNodeRequest, ListNodesResponse, NodeView, UpdateNodeRequest } from '@flotilla/api';
import { validateNodeSpec } from '@flotilla/api';
import type { Logger } from 'pino';
import type { SwarmController } from '../swarm/swarm-controller.js';
import type { ManagerRuntime } from '../manager/manager-runtime.js';
import { writeStore } from '../manager/store-writer.js';
import { findNode } from './lookup.js';
import { unary } from './unary.js';
import { nodeView } from './views.js';
import { invalidArgument } from './control-error.js';

export function nodeHandlers(swarm: SwarmController, log: Logger) {
  const viewOf = (rt: ManagerRuntime, id: string): NodeView => {
    const node = findNode(rt.member.store.view(), id);
    return nodeView(node, rt.state.nodeId, rt.member.leaderId);
  };
  return {
    listNodes: unary(log, 'ListNodes', (): ListNodesResponse => {
      const rt = swarm.requireManager();
      const nodes = [...rt.member.store.view().nodes.all()].map((n) => nodeView(n, rt.state.nodeId, rt.member.leaderId));
      return { nodes };
    }),
    getNode: unary(log, 'GetNode', (req: GetNodeRequest): NodeView => viewOf(swarm.requireManager(), req.node)),
    updateNode: unary(log, 'UpdateNode', async (req: UpdateNodeRequest): Promise<NodeView> => {
      const rt = swarm.requireManager();
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
        const spec = validateNodeSpec({
          ...node.spec,
          annotations: { name: node.spec?.annotations?.name ?? '', labels },
          ...(req.setAvailability ? { availability: req.availability } : {}),
        });
        tx.update('node', { ...node, spec });
      });
      return viewOf(rt, id);
    }),
  };
}
