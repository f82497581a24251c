export type VoteResult = 'won' | 'lost' | 'pending';

/** Highest index present on a majority of voters, given each voter's match index. */
export function majorityCommitted(voters: Iterable<number>, matchOf: (id: number) => number): number {
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  if (matches.length === 0) return Number.MAX_SAFE_INTEGER; // no voters: nothing constrains commit
  matches.sort((a, b) => b - a);
  return matches[Math.floor(matches.length / 2)]!;
}

export function majorityVoteResult(voters: Iterable<number>, votes: Map<number, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  let missing = 0;
  let n = 0;
  for (const id of voters) {
    n++;
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
    else rejected++;
  }
  if (n === 0) return 'won'; // mirrors etcd: an empty config wins trivially; callers never campaign without one
  const q = Math.floor(n / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  void rejected;
  return 'lost';
}
