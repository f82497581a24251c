// `flotillad --services=all|none|scheduler,orchestrator,allocator`: which singleton manager services
// a manager runs inside its own flotillad (issue 16). The others run as their own processes
// (`flotillad service <name>`) or not at all. The dispatcher and the CA always run in the manager
// (they are not singletons here: every manager serves 2377, the leader's dispatcher the agents). Pure.
import { ConfigError } from '../config-values.js';

export const PROCESS_SERVICES = ['scheduler', 'orchestrator', 'allocator'] as const;
export type ProcessServiceName = (typeof PROCESS_SERVICES)[number];

export function isProcessServiceName(name: string): name is ProcessServiceName {
  return (PROCESS_SERVICES as readonly string[]).includes(name);
}

export function parseServiceSelection(raw: string): readonly ProcessServiceName[] {
  const value = raw.trim();
  if (value === 'all') return PROCESS_SERVICES;
  if (value === 'none') return [];
  const chosen: ProcessServiceName[] = [];
  for (const name of value.split(',').map((n) => n.trim())) {
    if (!isProcessServiceName(name)) {
      throw new ConfigError(`invalid --services "${raw}": "${name}" is not a manager service that can run apart; expected all, none or a comma-separated list of ${PROCESS_SERVICES.join(', ')}`);
    }
    if (chosen.includes(name)) throw new ConfigError(`invalid --services "${raw}": ${name} is listed twice`);
    chosen.push(name);
  }
  // In the canonical order, so logs and `info` read the same whatever order was typed.
  return PROCESS_SERVICES.filter((s) => chosen.includes(s));
}
