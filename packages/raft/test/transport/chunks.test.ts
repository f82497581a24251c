import { describe, expect, it } from 'vitest';
import { RaftMessage, RaftMessageType, RaftTransportFrame, type RaftMessageChunk } from '@flotilla/api';
import { NATS_LIMITS } from '@flotilla/bus';
import { ChunkAssembler, DEFAULT_CHUNK_BYTES, encodeFrames } from '../../src/transport/chunks.js';
import { message } from '../../src/core/types.js';

function snapMessage(bytes: number): RaftMessage {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + 7) & 0xff;
  return message({
    type: RaftMessageType.RAFT_MSG_SNAP,
    from: 1,
    to: 2,
    term: 3,
    snapshot: { metadata: { index: 40, term: 3, confState: { voters: [1, 2, 3], learners: [] } }, data },
  });
}

function chunksOf(frames: Uint8Array[]): RaftMessageChunk[] {
  return frames.map((f) => {
    const body = RaftTransportFrame.decode(f).body;
    if (body?.$case !== 'chunk') throw new Error('expected a chunk frame');
    return body.value;
  });
}

describe('chunking of large raft messages', () => {
  it('sends a small message as one whole frame', () => {
    const m = message({ type: RaftMessageType.RAFT_MSG_HEARTBEAT, from: 1, to: 2, term: 4, commit: 9 });
    const frames = encodeFrames(m, 1024, () => 't');
    expect(frames).toHaveLength(1);
    expect(RaftTransportFrame.decode(frames[0]!).body).toEqual({ $case: 'message', value: m });
  });

  it('splits a 1 MiB snapshot into 256 KiB pieces and reassembles it in any order, each frame under the limit', () => {
    const m = snapMessage(1024 * 1024);
    const frames = encodeFrames(m, 256 * 1024, () => 'x1');
    expect(frames.length).toBe(5);
    for (const f of frames) expect(f.length).toBeLessThan(256 * 1024 + 100);
    const chunks = chunksOf(frames).reverse();
    const asm = new ChunkAssembler(1000);
    const results = chunks.map((c) => asm.add(c, 0));
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    const got = results.at(-1)!;
    expect(Buffer.from(got.snapshot!.data).equals(Buffer.from(m.snapshot!.data))).toBe(true);
    expect({ ...got, snapshot: got.snapshot!.metadata }).toEqual({ ...m, snapshot: m.snapshot!.metadata });
    expect(asm.transfersInProgress).toBe(0);
  });

  it("every frame of the default chunking fits under the managers' nats-server max_payload (bus NATS_LIMITS)", () => {
    // A 512 KiB append (the default maxSizePerMsg) and a larger snapshot alike.
    for (const bytes of [512 * 1024, 3 * 1024 * 1024 + 17]) {
      for (const f of encodeFrames(snapMessage(bytes), DEFAULT_CHUNK_BYTES, () => 'p1')) expect(f.length).toBeLessThan(NATS_LIMITS.maxPayloadBytes);
    }
  });

  it('ignores a duplicated piece, forgets a transfer missing a piece after the stale time, and refuses inconsistent counts', () => {
    const m = snapMessage(5000);
    const chunks = chunksOf(encodeFrames(m, 2048, () => 'x2'));
    expect(chunks).toHaveLength(3);
    const asm = new ChunkAssembler(1000);
    expect(asm.add(chunks[0]!, 0)).toBeUndefined();
    expect(asm.add(chunks[0]!, 10)).toBeUndefined();
    expect(asm.add(chunks[1]!, 20)).toBeUndefined();
    // Piece 2 is lost; much later a new chunk of another transfer arrives and the old one is dropped.
    const other = chunksOf(encodeFrames(m, 2048, () => 'x3'));
    expect(asm.add(other[0]!, 5000)).toBeUndefined();
    expect(asm.transfersInProgress).toBe(1);
    expect(asm.add(chunks[2]!, 5001)).toBeUndefined(); // a lone last piece of the forgotten transfer
    expect(() => asm.add({ ...other[1]!, total: 7 }, 5002)).toThrow(/earlier ones said 3/);
    expect(() => asm.add({ ...other[1]!, seq: 9 }, 5003)).toThrow(/out of range/);
  });
});
