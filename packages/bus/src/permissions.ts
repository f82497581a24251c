// Who may publish and subscribe where, derived from the subject layout. This is
// the policy behind "a worker can publish only to the dispatcher's subjects and
// receive only its own node's assignments".
import type { ClusterSubjects } from './subjects.js';

export interface SubjectRules {
  allow?: string[];
  deny?: string[];
}

export interface SubjectPermissions {
  publish?: SubjectRules;
  subscribe?: SubjectRules;
  /** Lets the user answer requests it received, whatever their reply subject. */
  allowResponses?: boolean;
}

/** A worker: talks to the dispatcher as itself, hears only its own node's subjects. */
export function workerPermissions(subjects: ClusterSubjects, nodeId: string): SubjectPermissions {
  return {
    publish: { allow: [subjects.dispatcher.fromNode(nodeId), subjects.logs.fromNode(nodeId)] },
    subscribe: { allow: [subjects.node.all(nodeId)] },
    allowResponses: true,
  };
}

/**
 * A manager service running as its own process (issue 16), by the service's name: its own store
 * subjects (the store service redacts what it answers there and limits what it writes), its own
 * reply inboxes, and the presence request of `flotilla info`; the dispatcher also the agents'
 * requests, the pushes to nodes and the managers' secret opening; the CA signer its signing
 * requests. Nothing else: no Raft traffic, no full store, no control API, no logs.
 */
export function servicePermissions(subjects: ClusterSubjects, service: string): SubjectPermissions {
  const publish = [subjects.store.scoped(service).any];
  const subscribe = [subjects.services.inboxes(service), subjects.services.status];
  if (service === 'dispatcher') {
    publish.push(subjects.node.assignmentsAny, subjects.node.networksAny, subjects.services.taskSecrets);
    subscribe.push(subjects.dispatcher.any);
  }
  if (service === 'ca') subscribe.push(subjects.services.caSign);
  return { publish: { allow: publish }, subscribe: { allow: subscribe }, allowResponses: true };
}

/** A manager: everything of its own cluster, nothing of any other. */
export function managerPermissions(subjects: ClusterSubjects): SubjectPermissions {
  return {
    publish: { allow: [subjects.all] },
    subscribe: { allow: [subjects.all] },
    allowResponses: true,
  };
}
