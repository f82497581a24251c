import type { RaftConfState } from '@flotilla/api';
import { Progress } from './progress.js';
import { majorityCommitted, majorityVoteResult, type VoteResult } from './quorum.js';

/** The configuration (voters, learners) and, on a leader, every member's Progress. */
export class ProgressTracker {
  voters = new Set<number>();
  learners = new Set<number>();
  progress = new Map<number, Progress>();
  votes = new Map<number, boolean>();

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  confState(): RaftConfState {
    return { voters: [...this.voters].sort((a, b) => a - b), learners: [...this.learners].sort((a, b) => a - b) };
  }

  /** Resets configuration and progress to confState; every Progress starts probing at next. */
  reset(cs: RaftConfState, next: number): void {
    this.voters = new Set(cs.voters);
    this.learners = new Set(cs.learners.filter((id) => !this.voters.has(id)));
    this.progress = new Map();
    for (const id of this.voters) this.progress.set(id, this.newProgress(next, false));
    for (const id of this.learners) this.progress.set(id, this.newProgress(next, true));
    this.votes.clear();
  }

  newProgress(next: number, isLearner: boolean): Progress {
    return new Progress(next, this.maxInflight, this.maxInflightBytes, isLearner);
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  committed(): number {
    return majorityCommitted(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** Whether a quorum of voters was heard from recently (the leader counts itself). */
  quorumActive(selfId: number): boolean {
    const votes = new Map<number, boolean>();
    for (const id of this.voters) {
      const pr = this.progress.get(id);
      votes.set(id, id === selfId || (pr?.recentActive ?? false));
    }
    return majorityVoteResult(this.voters, votes) === 'won';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: majorityVoteResult(this.voters, this.votes) };
  }
}
