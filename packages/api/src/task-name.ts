/**
 * Docker's name for a task's place in its service: `web.2` for slot 2 of a replicated service,
 * `web.<node id>` for a global service's task (slot 0). Container names, `service ps`, log
 * prefixes and refusals all use it, so an operator sees one name everywhere. `node` can shorten
 * the node id for display.
 */
export function taskSlotName(serviceName: string, task: { readonly slot: number; readonly nodeId: string }, node: (id: string) => string = (id) => id): string {
  return `${serviceName}.${task.slot > 0 ? String(task.slot) : node(task.nodeId)}`;
}
