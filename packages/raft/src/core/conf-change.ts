import { RaftConfChangeType, type RaftConfChange, type RaftConfState } from '@flotilla/api';

/**
 * Single-server membership changes (Raft thesis §4.1): each change adds or removes at most
 * one voter, so any two consecutive configurations share a majority. Returns why the change
 * cannot apply to `cs`, or undefined if it can.
 */
export function confChangeProblem(cs: RaftConfState, cc: RaftConfChange): string | undefined {
  if (!Number.isInteger(cc.nodeId) || cc.nodeId <= 0) return `node id must be a positive integer, got ${cc.nodeId}`;
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case RaftConfChangeType.RAFT_CONF_CHANGE_ADD_VOTER:
      if (isVoter) return `node ${cc.nodeId} is already a voter`;
      return undefined;
    case RaftConfChangeType.RAFT_CONF_CHANGE_REMOVE_VOTER:
      if (!isVoter && !isLearner) return `node ${cc.nodeId} is not a member`;
      if (isVoter && cs.voters.length === 1) return `node ${cc.nodeId} is the last voter`;
      return undefined;
    case RaftConfChangeType.RAFT_CONF_CHANGE_ADD_LEARNER:
      if (isVoter) return `node ${cc.nodeId} is a voter; remove it first`;
      if (isLearner) return `node ${cc.nodeId} is already a learner`;
      return undefined;
    case RaftConfChangeType.RAFT_CONF_CHANGE_PROMOTE_LEARNER:
      if (!isLearner) return `node ${cc.nodeId} is not a learner`;
      return undefined;
    default:
      return `unknown conf change type ${String(cc.type)}`;
  }
}

/** The configuration after cc; an invalid change leaves it as it was (every member decides the same). */
export function applyConfChangeTo(cs: RaftConfState, cc: RaftConfChange): RaftConfState {
  if (confChangeProblem(cs, cc) !== undefined) return { voters: [...cs.voters], learners: [...cs.learners] };
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  switch (cc.type) {
    case RaftConfChangeType.RAFT_CONF_CHANGE_ADD_VOTER:
    case RaftConfChangeType.RAFT_CONF_CHANGE_PROMOTE_LEARNER:
      learners.delete(cc.nodeId);
      voters.add(cc.nodeId);
      break;
    case RaftConfChangeType.RAFT_CONF_CHANGE_REMOVE_VOTER:
      voters.delete(cc.nodeId);
      learners.delete(cc.nodeId);
      break;
    case RaftConfChangeType.RAFT_CONF_CHANGE_ADD_LEARNER:
      learners.add(cc.nodeId);
      break;
  }
  const sort = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { voters: sort(voters), learners: sort(learners) };
}
