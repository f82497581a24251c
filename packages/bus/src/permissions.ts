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

/** A manager: everything of its own cluster, nothing of any other. */
export function managerPermissions(subjects: ClusterSubjects): SubjectPermissions {
  return {
    publish: { allow: [subjects.all] },
    subscribe: { allow: [subjects.all] },
    allowResponses: true,
  };
}
