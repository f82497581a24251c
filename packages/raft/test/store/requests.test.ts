// Exactly-once writes in the store: the replicated table of recent transaction ids.
import { Network } from '@flotilla/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidTransaction, NameConflict } from '../../src/store/errors.js';
import { REQUEST_RETENTION, emptyRequests, lookupRequest, recordRequest, requestRecords } from '../../src/store/requests.js';
import { decodeStoreSnapshot } from '../../src/store/snapshot.js';
import { Store } from '../../src/store/store.js';
import { TransactionBuilder } from '../../src/store/transaction.js';

const net = (n: string): Network => Network.fromPartial({ id: `net-${n}`, spec: { annotations: { name: `name-${n}` } } });
const createTx = (id: string, n: string, ts = 1_000): Uint8Array => new TransactionBuilder(id, ts).create('network', net(n)).encode();

/** The request table as plain data, oldest first. */
const table = (s: Store) => [...requestRecords(decodeStoreSnapshot(s.snapshot()).requests)];

afterEach(() => vi.useRealTimers());

describe('recent request table', () => {
  it('a duplicate applies nothing, emits no event and returns the first outcome', () => {
    const s = new Store();
    const bytes = createTx('req-1', 'a');
    const first = s.apply(1, bytes);
    expect(first).toMatchObject({ ok: true, index: 1 });
    const events: unknown[] = [];
    const sub = s.watch();
    void (async () => {
      for await (const e of sub) events.push(e);
    })();
    const again = s.apply(2, bytes);
    expect(again).toMatchObject({ ok: true, index: 1, txId: 'req-1', duplicate: true, events: [] });
    expect(s.index).toBe(2);
    expect(s.view().networks.count).toBe(1);
    expect(s.view().networks.get('net-a')?.meta?.version).toBe(1);
    sub.close();
    expect(events).toEqual([]);
  });

  it('a refused transaction is recorded too: its retry gets the same refusal, even after the cause is gone', () => {
    const s = new Store();
    s.apply(1, createTx('req-1', 'a'));
    // Another id taking the same name is refused with NameConflict.
    const clash = createTx('req-2', 'a');
    const refused = s.apply(2, clash);
    expect(refused.ok).toBe(false);
    // The cause goes away; the retry of req-2 still answers with the first verdict, not a new apply.
    const view = s.view().networks.get('net-a')!;
    s.apply(3, new TransactionBuilder('req-3', 2_000).delete('network', view).encode());
    const retry = s.apply(4, clash);
    expect(retry.ok).toBe(false);
    expect(retry.duplicate).toBe(true);
    expect(retry.index).toBe(2);
    if (!retry.ok && !refused.ok) {
      expect(retry.error).toBeInstanceOf(NameConflict);
      expect(retry.error.message).toBe(refused.error.message);
    }
    expect(s.view().networks.count).toBe(0);
  });

  it('the same id with other content is refused and the first record stays', () => {
    const s = new Store();
    s.apply(1, createTx('req-1', 'a'));
    const other = s.apply(2, createTx('req-1', 'b'));
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.error).toBeInstanceOf(InvalidTransaction);
    expect(s.view().networks.get('net-b')).toBeUndefined();
    expect(s.recentRequest('req-1')).toMatchObject({ index: 1 });
    expect(s.apply(3, createTx('req-1', 'a'))).toMatchObject({ ok: true, index: 1, duplicate: true });
  });

  it('transactions without an id are never deduplicated', () => {
    const s = new Store();
    const noId = (n: string) => new TransactionBuilder('', 1_000).create('network', net(n)).encode();
    expect(s.apply(1, noId('a')).ok).toBe(true);
    expect(s.apply(2, noId('b')).ok).toBe(true);
    expect(s.recentRequestCount).toBe(0);
  });

  it('evicts by the transactions own timestamps, the same way on every store, whatever the clock says', () => {
    const { minRecords, maxAgeMs } = REQUEST_RETENTION;
    // Two stores apply the same log, one under a wall clock that jumps an hour per apply.
    const a = new Store();
    const b = new Store();
    vi.useFakeTimers({ now: new Date('2040-01-01T00:00:00Z') });
    const base = 1_700_000_000_000;
    let index = 0;
    const step = (id: string, ts: number): void => {
      index++;
      const bytes = new TransactionBuilder(id, ts).encode();
      a.apply(index, bytes);
      vi.setSystemTime(Date.now() + 3_600_000);
      b.apply(index, bytes);
    };
    for (let i = 0; i < minRecords + 50; i++) step(`old-${i}`, base);
    expect(a.recentRequestCount).toBe(minRecords + 50);
    // One transaction past the window: what is older may go, but minRecords stay.
    step('new-0', base + maxAgeMs + 1);
    expect(a.recentRequestCount).toBe(minRecords);
    expect(a.recentRequest('old-50')).toBeUndefined();
    expect(a.recentRequest('old-51')).toBeDefined();
    expect(table(a)).toEqual(table(b));
  });

  it('keeps at most maxRecords, dropping the oldest first', () => {
    const { maxRecords } = REQUEST_RETENTION;
    let t = emptyRequests();
    // All inside the age window: only the count bounds the table.
    for (let i = 0; i < maxRecords + 5; i++) t = recordRequest(t, { id: `r-${i}`, digest: '00', index: i + 1, timestampMs: 1_000 });
    expect(t.byId.size).toBe(maxRecords);
    expect(lookupRequest(t, 'r-4')).toBeUndefined();
    expect(lookupRequest(t, 'r-5')).toMatchObject({ index: 6 });
    expect([...requestRecords(t)][0]!.id).toBe('r-5');
  });

  it('survives snapshot and restore: a retry after a restore is still recognised and eviction continues alike', () => {
    const src = new Store();
    let index = 0;
    const both: Store[] = [src];
    const apply = (bytes: Uint8Array) => {
      index++;
      return both.map((s) => s.apply(index, bytes));
    };
    for (let i = 0; i < 30; i++) apply(createTx(`req-${i}`, `n${i}`, 1_000 + i));
    const restored = Store.fromSnapshot(src.snapshot());
    expect(table(restored)).toEqual(table(src));
    both.push(restored);
    const [x, y] = apply(createTx('req-7', 'n7', 1_007));
    expect(x).toMatchObject({ ok: true, index: 8, duplicate: true });
    expect(y).toMatchObject({ ok: true, index: 8, duplicate: true });
    for (let i = 30; i < 40; i++) apply(createTx(`req-${i}`, `n${i}`, 1_000 + REQUEST_RETENTION.maxAgeMs * 2));
    expect(table(restored)).toEqual(table(src));
    // A re-list (some kinds) leaves the table out.
    expect(decodeStoreSnapshot(src.snapshot(['network'])).requests.byId.size).toBe(0);
  });

  it('a sliced snapshot encoding gives the same bytes as the one-shot encoding', async () => {
    const s = new Store();
    for (let i = 0; i < 2_000; i++) s.apply(i + 1, createTx(`req-${i}`, `n${i}`));
    const captured = s.captureSnapshot();
    // Writes after the capture do not show in it.
    s.apply(2_001, createTx('late', 'late'));
    const sliced = await captured.encode({ sliceMs: 0 });
    const later = Store.fromSnapshot(sliced);
    expect(later.index).toBe(2_000);
    expect(later.view().networks.get('net-late')).toBeUndefined();
    const oneShot = new Store();
    for (let i = 0; i < 2_000; i++) oneShot.apply(i + 1, createTx(`req-${i}`, `n${i}`));
    expect(Buffer.compare(sliced, Buffer.from(oneShot.snapshot()))).toBe(0);
  });
});
