import { NodeRole } from '@flotilla/api';

/** The certificate OU for each role; also a DNS SAN so clients can require "a manager of this cluster". */
export const MANAGER_OU = 'flotilla-manager';
export const WORKER_OU = 'flotilla-worker';

export type CertRole = NodeRole.NODE_ROLE_MANAGER | NodeRole.NODE_ROLE_WORKER;

export function roleToOu(role: CertRole): string {
  return role === NodeRole.NODE_ROLE_MANAGER ? MANAGER_OU : WORKER_OU;
}

export function ouToRole(ou: string): CertRole | undefined {
  if (ou === MANAGER_OU) return NodeRole.NODE_ROLE_MANAGER;
  if (ou === WORKER_OU) return NodeRole.NODE_ROLE_WORKER;
  return undefined;
}

export function isCertRole(role: unknown): role is CertRole {
  return role === NodeRole.NODE_ROLE_MANAGER || role === NodeRole.NODE_ROLE_WORKER;
}
