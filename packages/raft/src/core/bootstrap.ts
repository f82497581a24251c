import { RaftConfChange, RaftConfChangeType, RaftEntryType, type RaftEntry, type RaftHardState } from '@flotilla/api';
import { RaftError } from './errors.js';

/**
 * The initial log of a brand-new cluster: one committed conf-change entry per founding
 * member, in term 1. The configuration lives in the log (not out of band) so a member
 * that joins later learns it by replaying the log like everyone else.
 */
export function bootstrapLog(voters: number[], learners: number[] = []): { entries: RaftEntry[]; hardState: RaftHardState } {
  if (voters.length === 0) throw new RaftError('invalid-argument', 'bootstrap needs at least one voter');
  const all = [...voters, ...learners];
  if (new Set(all).size !== all.length) throw new RaftError('invalid-argument', `bootstrap: duplicate member ids in ${all.join(',')}`);
  for (const id of all) {
    if (!Number.isInteger(id) || id <= 0) throw new RaftError('invalid-argument', `bootstrap: member id must be a positive integer, got ${id}`);
  }
  const changes = [
    ...voters.map((nodeId) => ({ type: RaftConfChangeType.RAFT_CONF_CHANGE_ADD_VOTER, nodeId })),
    ...learners.map((nodeId) => ({ type: RaftConfChangeType.RAFT_CONF_CHANGE_ADD_LEARNER, nodeId })),
  ];
  const entries = changes.map((c, i) => ({
    term: 1,
    index: i + 1,
    type: RaftEntryType.RAFT_ENTRY_CONF_CHANGE,
    data: Buffer.from(RaftConfChange.encode({ ...c, context: Buffer.alloc(0) }).finish()),
  }));
  return { entries, hardState: { term: 1, vote: 0, commit: entries.length } };
}
