import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../src/index.js';

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length);
  return h;
}

describe('FrameReader (the length prefix decides before the body is kept)', () => {
  it('assembles one frame from chunks split anywhere, the prefix too', () => {
    const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const wire = Buffer.concat([header(body.length), body]);
    const reader = new FrameReader(1024, 29);
    const steps = [wire.subarray(0, 2), wire.subarray(2, 5), wire.subarray(5, 20), wire.subarray(20)].map((c) => reader.push(c));
    expect(steps.slice(0, 3).map((s) => s.kind)).toEqual(['more', 'more', 'more']);
    expect(steps[3]).toEqual({ kind: 'frame', frame: body });
    expect(reader.end()).toBeUndefined();
  });

  it('refuses a prefix over the cap at once: no body byte is kept, whatever follows', () => {
    const reader = new FrameReader(1024, 29);
    expect(reader.push(header(0xffffffff).subarray(0, 3))).toEqual({ kind: 'more' });
    const step = reader.push(Buffer.concat([header(0xffffffff).subarray(3), Buffer.alloc(4096)]));
    expect(step).toEqual({ kind: 'refused', cause: 'oversize', detail: 'length prefix 4294967295 > 1024' });
    expect(reader.buffered).toBe(0);
    // One byte over is refused too; the cap itself is read.
    expect(new FrameReader(1024, 29).push(header(1025))).toMatchObject({ kind: 'refused', cause: 'oversize' });
    expect(new FrameReader(1024, 29).push(Buffer.concat([header(1024), Buffer.alloc(1024)]))).toMatchObject({ kind: 'frame' });
  });

  it('refuses a prefix too short for a sealed packet, bytes after the frame, and a stream that ends mid-frame', () => {
    expect(new FrameReader(1024, 29).push(header(28))).toMatchObject({ kind: 'refused', cause: 'undersize' });
    expect(new FrameReader(1024, 29).push(Buffer.concat([header(30), Buffer.alloc(31)]))).toMatchObject({ kind: 'refused', cause: 'trailing' });
    const done = new FrameReader(1024, 29);
    expect(done.push(Buffer.concat([header(30), Buffer.alloc(30)]))).toMatchObject({ kind: 'frame' });
    expect(done.push(Buffer.alloc(1))).toMatchObject({ kind: 'refused', cause: 'trailing' });
    const cut = new FrameReader(1024, 29);
    cut.push(Buffer.concat([header(100), Buffer.alloc(40)]));
    expect(cut.buffered).toBe(40);
    expect(cut.end()).toEqual({ kind: 'refused', cause: 'truncated', detail: '40 of 100 bytes' });
    expect(cut.buffered).toBe(0);
    const noHeader = new FrameReader(1024, 29);
    noHeader.push(Buffer.alloc(2));
    expect(noHeader.end()).toEqual({ kind: 'refused', cause: 'truncated', detail: '2 of 4 header bytes' });
  });
});
