// streamStoreEvents on a real store (the replicated store's in-memory state machine, applied
// directly as a Raft member applies committed entries), with a small event ring.
import { Service, type EventsMessage } from '@flotilla/api';
import { Store, TransactionBuilder } from '@flotilla/raft';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../src/control/control-error.js';
import { streamStoreEvents, type EventSink } from '../src/events/event-stream.js';

const NOW = 100_000;

function storeWithServices(count: number, ringSize: number): { store: Store; apply: (name: string, at: number) => void } {
  const store = new Store({ eventRingSize: ringSize });
  let index = 0;
  const apply = (name: string, at: number) => {
    const tx = new TransactionBuilder(`tx-${name}`, at).create('service', Service.fromPartial({ id: `id-${name}`, spec: { annotations: { name } } }));
    const r = store.apply(++index, tx.encode());
    if (!r.ok) throw new Error(`applying ${name}: ${r.error.message}`);
  };
  for (let i = 1; i <= count; i++) apply(`s${i}`, i * 1_000);
  return { store, apply };
}

function sink(): EventSink & { got: EventsMessage[]; abort(): void } {
  const ctl = new AbortController();
  const got: EventsMessage[] = [];
  return { got, signal: ctl.signal, abort: () => ctl.abort(), write: async (m) => void got.push(m) };
}

const names = (got: EventsMessage[]) => got.flatMap((m) => (m.event ? [`${m.event.action} ${m.event.attributes['name']}`] : []));

describe('streamStoreEvents', () => {
  it('replays the kept events from --since up to --until and ends; says when the ring no longer reaches back', async () => {
    const { store } = storeWithServices(5, 3); // the ring keeps s3, s4, s5
    const out = sink();
    await streamStoreEvents(store, { types: [], actions: [], sinceUnixMs: 1_500, untilUnixMs: 4_500 }, out, () => NOW);
    expect(out.got[0]?.notice).toBe(`events before ${new Date(3_000).toISOString()} are no longer kept (the store keeps only its most recent changes); showing from there`);
    expect(names(out.got)).toEqual(['create s3', 'create s4']);
    expect(out.got.filter((m) => m.event).map((m) => m.event!.timeUnixMs)).toEqual([3_000, 4_000]);
  });

  it('says nothing about dropped events when the ring reaches back far enough, and filters', async () => {
    const { store } = storeWithServices(5, 10);
    const out = sink();
    await streamStoreEvents(store, { types: ['service'], actions: ['create'], sinceUnixMs: 2_500, untilUnixMs: 60_000 }, out, () => NOW);
    expect(out.got.every((m) => m.notice === '')).toBe(true);
    expect(names(out.got)).toEqual(['create s3', 'create s4', 'create s5']);
    const none = sink();
    await streamStoreEvents(store, { types: ['node'], actions: [], sinceUnixMs: 1, untilUnixMs: 60_000 }, none, () => NOW);
    expect(none.got).toEqual([]);
  });

  it('without --since streams only new changes, until the reader goes', async () => {
    const { store, apply } = storeWithServices(2, 10);
    const out = sink();
    const streaming = streamStoreEvents(store, { types: [], actions: [], sinceUnixMs: 0, untilUnixMs: 0 }, out, () => NOW);
    apply('live', 7_000);
    await new Promise((r) => setImmediate(r));
    expect(names(out.got)).toEqual(['create live']);
    out.abort();
    await streaming;
  });

  it('refuses bad input before sending anything', async () => {
    const { store } = storeWithServices(1, 10);
    const out = sink();
    await expect(streamStoreEvents(store, { types: ['container'], actions: [], sinceUnixMs: 0, untilUnixMs: 0 }, out)).rejects.toThrow(ControlError);
    await expect(streamStoreEvents(store, { types: [], actions: [], sinceUnixMs: 5_000, untilUnixMs: 4_000 }, out)).rejects.toThrow('--since must not be after --until');
    expect(out.got).toEqual([]);
  });
});
