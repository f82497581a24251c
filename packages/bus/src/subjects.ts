// Every NATS subject Flotilla uses, in one place, so permissions and
// subscribers can never disagree about a name.
//
// Subjects that a worker publishes to carry the worker's node id as a token:
// NATS permissions are per subject, so the server itself guarantees that a
// message on `...heartbeat.<nodeId>` was sent by that node and the receiver can
// trust the id in the subject.

export const SUBJECT_ROOT = 'flt';

export class InvalidSubjectTokenError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
    reason: string,
  ) {
    super(`invalid ${what} ${JSON.stringify(value)} for a NATS subject: ${reason}`);
    this.name = 'InvalidSubjectTokenError';
  }
}

// Bytes a token must not contain: the separator, both wildcards, whitespace and
// control characters (NATS splits on them or treats them as protocol).
const FORBIDDEN = /[.*>\s\u0000-\u001f\u007f]/u;

/** Checks that `value` can be used as one subject token; returns it unchanged. */
export function subjectToken(what: string, value: string): string {
  if (typeof value !== 'string') {
    throw new InvalidSubjectTokenError(what, String(value), 'must be a string');
  }
  if (value.length === 0) throw new InvalidSubjectTokenError(what, value, 'must not be empty');
  const bad = FORBIDDEN.exec(value);
  if (bad) {
    const ch = bad[0];
    const reason =
      ch === '.'
        ? 'must not contain "." (the subject separator)'
        : ch === '*' || ch === '>'
          ? `must not contain the wildcard "${ch}"`
          : 'must not contain whitespace or control characters';
    throw new InvalidSubjectTokenError(what, value, reason);
  }
  return value;
}

/** The subject names of one cluster. Build once per cluster id. */
export interface ClusterSubjects {
  readonly clusterId: string;
  /** Everything of this cluster (managers' permission). */
  readonly all: string;
  readonly raft: {
    /** Raft messages addressed to one member. */
    member(memberId: string): string;
    /** Wildcard over all members. */
    readonly any: string;
  };
  readonly store: {
    /** Request: a snapshot of the store at an index. */
    readonly list: string;
    /** Published by the leader: applied change events. */
    readonly events: string;
    /** Request to the leader: propose a transaction. */
    readonly propose: string;
    /** Request to one member: propose a transaction (a follower answers NOT_LEADER with a hint). */
    proposeTo(memberId: string): string;
    /** Request: the kept change events after an index (or a gap: re-list). */
    readonly eventsSince: string;
    readonly any: string;
    /**
     * The same requests from a service identity (issue 16), one subtree per service: answers are
     * redacted for it and its writes are limited to what it may change (packages/raft scopes.ts).
     */
    scoped(service: string): { readonly list: string; readonly eventsSince: string; readonly propose: string; proposeTo(memberId: string): string; readonly any: string };
    /** What every member serves for all services (the service is the subject's 5th token). */
    readonly scopedAny: { readonly list: string; readonly eventsSince: string; readonly propose: string; proposeTo(memberId: string): string };
  };
  /** Manager services as processes (issue 16). */
  readonly services: {
    /** Request gathered from every running service instance: who runs where (`flotilla info`). */
    readonly status: string;
    /** Reply inbox prefix of one service instance's connection (under its service's subtree). */
    inboxPrefix(service: string, instanceId: string): string;
    /** Everything a service identity may subscribe to for its replies. */
    inboxes(service: string): string;
    /** Request to the CA signer process: sign a node certificate the manager vetted. */
    readonly caSign: string;
    /** Request to the managers: the secret and config values of one task (a dispatcher process asks). */
    readonly taskSecrets: string;
  };
  readonly dispatcher: {
    /** Request from an agent: open/refresh its session. */
    session(nodeId: string): string;
    /** Request from an agent: heartbeat. */
    heartbeat(nodeId: string): string;
    /** Request from an agent: task status updates. */
    status(nodeId: string): string;
    /** Request from an agent that saw a sequence gap: its full set of assignments again. */
    assignments(nodeId: string): string;
    /** Request from an agent: its current NodeNetworkState again. */
    networks(nodeId: string): string;
    /** Request from a node's gossip member: keyring and seeds, and the members it saw die. */
    gossip(nodeId: string): string;
    /** Request from an agent: the secret values of a task assigned to it (reply to its own inbox only). */
    secrets(nodeId: string): string;
    /** Request from an agent: a volume driver plugin (with its rootfs) that a task assigned to it uses. */
    plugins(nodeId: string): string;
    /** What the dispatcher subscribes to, one wildcard per kind. */
    readonly sessionAny: string;
    readonly heartbeatAny: string;
    readonly statusAny: string;
    readonly assignmentsAny: string;
    readonly networksAny: string;
    readonly gossipAny: string;
    readonly secretsAny: string;
    readonly pluginsAny: string;
    /** Everything a given node may publish to the dispatcher. */
    fromNode(nodeId: string): string;
    readonly any: string;
  };
  readonly node: {
    /** Everything addressed to one node (its subscribe permission). */
    all(nodeId: string): string;
    /** Assignments pushed to one node. */
    assignments(nodeId: string): string;
    /** Assignments and network states pushed to any node (what a dispatcher process may publish). */
    readonly assignmentsAny: string;
    readonly networksAny: string;
    /** NodeNetworkState pushed to one node. */
    networks(nodeId: string): string;
    /** Log stream requests addressed to one node's agent. */
    logs(nodeId: string): string;
    /** The node's own Node object, pushed by the leader while its desired role differs from its role. */
    role(nodeId: string): string;
    /** Reply inbox prefix of one node's connection (under its own subtree). */
    inboxPrefix(nodeId: string): string;
  };
  readonly control: {
    /** Control API call forwarded between managers (method is e.g. "CreateService"). */
    method(method: string): string;
    readonly any: string;
  };
  readonly logs: {
    /** Log chunks one node publishes for one stream. */
    stream(nodeId: string, streamId: string): string;
    /** Everything a node may publish as logs. */
    fromNode(nodeId: string): string;
  };
}

/** Builds the subjects of cluster `clusterId` (validated as a token). */
export function clusterSubjects(clusterId: string): ClusterSubjects {
  const cid = subjectToken('cluster id', clusterId);
  const base = `${SUBJECT_ROOT}.${cid}`;
  const node = (nodeId: string): string => subjectToken('node id', nodeId);
  return {
    clusterId: cid,
    all: `${base}.>`,
    raft: {
      member: (memberId) => `${base}.raft.${subjectToken('raft member id', memberId)}`,
      any: `${base}.raft.*`,
    },
    store: {
      list: `${base}.store.list`,
      events: `${base}.store.events`,
      propose: `${base}.store.propose`,
      proposeTo: (memberId) => `${base}.store.propose.${subjectToken('raft member id', memberId)}`,
      eventsSince: `${base}.store.since`,
      any: `${base}.store.>`,
      scoped: (service) => {
        const at = `${base}.store.svc.${subjectToken('service name', service)}`;
        return {
          list: `${at}.list`,
          eventsSince: `${at}.since`,
          propose: `${at}.propose`,
          proposeTo: (memberId) => `${at}.propose.${subjectToken('raft member id', memberId)}`,
          any: `${at}.>`,
        };
      },
      scopedAny: {
        list: `${base}.store.svc.*.list`,
        eventsSince: `${base}.store.svc.*.since`,
        propose: `${base}.store.svc.*.propose`,
        proposeTo: (memberId) => `${base}.store.svc.*.propose.${subjectToken('raft member id', memberId)}`,
      },
    },
    services: {
      status: `${base}.services.status`,
      inboxPrefix: (service, instanceId) => `${base}.svc.${subjectToken('service name', service)}.${subjectToken('service instance id', instanceId)}`,
      inboxes: (service) => `${base}.svc.${subjectToken('service name', service)}.>`,
      caSign: `${base}.ca.sign`,
      taskSecrets: `${base}.manager.secrets`,
    },
    dispatcher: {
      session: (nodeId) => `${base}.dispatcher.session.${node(nodeId)}`,
      heartbeat: (nodeId) => `${base}.dispatcher.heartbeat.${node(nodeId)}`,
      status: (nodeId) => `${base}.dispatcher.status.${node(nodeId)}`,
      sessionAny: `${base}.dispatcher.session.*`,
      heartbeatAny: `${base}.dispatcher.heartbeat.*`,
      statusAny: `${base}.dispatcher.status.*`,
      assignments: (nodeId) => `${base}.dispatcher.assignments.${node(nodeId)}`,
      assignmentsAny: `${base}.dispatcher.assignments.*`,
      networks: (nodeId) => `${base}.dispatcher.networks.${node(nodeId)}`,
      networksAny: `${base}.dispatcher.networks.*`,
      gossip: (nodeId) => `${base}.dispatcher.gossip.${node(nodeId)}`,
      gossipAny: `${base}.dispatcher.gossip.*`,
      secrets: (nodeId) => `${base}.dispatcher.secrets.${node(nodeId)}`,
      secretsAny: `${base}.dispatcher.secrets.*`,
      plugins: (nodeId) => `${base}.dispatcher.plugins.${node(nodeId)}`,
      pluginsAny: `${base}.dispatcher.plugins.*`,
      fromNode: (nodeId) => `${base}.dispatcher.*.${node(nodeId)}`,
      any: `${base}.dispatcher.>`,
    },
    node: {
      all: (nodeId) => `${base}.node.${node(nodeId)}.>`,
      assignments: (nodeId) => `${base}.node.${node(nodeId)}.assignments`,
      assignmentsAny: `${base}.node.*.assignments`,
      networksAny: `${base}.node.*.networks`,
      networks: (nodeId) => `${base}.node.${node(nodeId)}.networks`,
      logs: (nodeId) => `${base}.node.${node(nodeId)}.logs`,
      role: (nodeId) => `${base}.node.${node(nodeId)}.role`,
      inboxPrefix: (nodeId) => `${base}.node.${node(nodeId)}.inbox`,
    },
    control: {
      method: (method) => `${base}.control.${subjectToken('control method', method)}`,
      any: `${base}.control.*`,
    },
    logs: {
      stream: (nodeId, streamId) => `${base}.logs.${node(nodeId)}.${subjectToken('log stream id', streamId)}`,
      fromNode: (nodeId) => `${base}.logs.${node(nodeId)}.*`,
    },
  };
}

/**
 * The last token of a concrete subject, e.g. the node id of
 * `flt.c1.dispatcher.heartbeat.n1`. Throws if the subject has no tokens.
 */
export function lastSubjectToken(subject: string): string {
  const i = subject.lastIndexOf('.');
  const token = i < 0 ? subject : subject.slice(i + 1);
  return subjectToken(`last token of subject ${JSON.stringify(subject)}`, token);
}
