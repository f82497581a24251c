// Raft core throughput: 3 members in one process, messages handed over directly (no codec, no
// disk), proposals in batches of 64 entries of 128 bytes. Measures the state machine itself.
// Run: pnpm --filter @flotilla/raft exec tsx bench/core.ts
import { RaftConfChange, RaftEntryType, type RaftMessage } from '@flotilla/api';
import { MemoryStorage, RaftNode, SeededRng } from '../src/index.js';

const ids = [1, 2, 3];
const storages = new Map(ids.map((id) => [id, MemoryStorage.bootstrap(ids)]));
const nodes = new Map(
  ids.map((id) => [id, new RaftNode({ id, storage: storages.get(id)!, electionTick: 10, heartbeatTick: 1, rng: new SeededRng(id), maxInflightMsgs: 256 })]),
);
const inbox: RaftMessage[] = [];
let applied = 0;

function drain(): void {
  for (;;) {
    let busy = false;
    for (const [id, n] of nodes) {
      while (n.hasReady()) {
        busy = true;
        const rd = n.ready();
        const s = storages.get(id)!;
        if (rd.snapshot) s.applySnapshot(rd.snapshot);
        s.append(rd.entries);
        if (rd.hardState) s.setHardState(rd.hardState);
        inbox.push(...rd.messages);
        for (const e of rd.committedEntries) {
          if (e.type === RaftEntryType.RAFT_ENTRY_CONF_CHANGE) n.applyConfChange(RaftConfChange.decode(e.data));
          else if (id === 1) applied++;
        }
        n.advance();
      }
    }
    while (inbox.length > 0) {
      busy = true;
      const m = inbox.shift()!;
      nodes.get(m.to)!.step(m);
    }
    if (!busy) return;
  }
}

drain();
nodes.get(1)!.campaign();
drain();
const payload = Buffer.alloc(128, 7);
const batch = Array.from({ length: 64 }, () => payload);
const total = 200_000;
const t0 = performance.now();
for (let sent = 0; sent < total; sent += batch.length) {
  nodes.get(1)!.propose(...batch);
  drain();
}
const secs = (performance.now() - t0) / 1000;
console.log(`raft-core: members=3 entries=${total} entry_bytes=128 batch=64 committed_per_s≈${Math.round(applied / secs)}`);
