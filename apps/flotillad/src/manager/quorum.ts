/** Votes a Raft group of `voters` members needs to elect a leader and commit: a majority. Pure. */
export function majorityOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
