// The manager services that can run inside a manager's flotillad or as their own processes
// (`flotillad service <name>`, issue 16). One list, used by the daemon's --services flag, the
// service certificates' OU, the NATS permissions and the store's write scopes.

export const MANAGER_SERVICES = ['scheduler', 'orchestrator', 'allocator', 'dispatcher', 'ca'] as const;
export type ManagerServiceName = (typeof MANAGER_SERVICES)[number];

/**
 * Services of which one instance acts at a time, under a lease in the store: the scheduler,
 * orchestrator and allocator decide from one view of the whole store, and the dispatcher keeps
 * the agents' sessions in memory while agents address it by subject. The CA signer holds no
 * state: every copy may sign.
 */
export const SINGLETON_SERVICES: readonly ManagerServiceName[] = ['scheduler', 'orchestrator', 'allocator', 'dispatcher'];

export function isManagerServiceName(name: string): name is ManagerServiceName {
  return (MANAGER_SERVICES as readonly string[]).includes(name);
}

export function isSingletonService(name: string): boolean {
  return (SINGLETON_SERVICES as readonly string[]).includes(name);
}
