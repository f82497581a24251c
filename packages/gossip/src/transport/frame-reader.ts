// Pure: reads the one length-prefixed frame a push/pull stream carries, deciding from the
// 4-byte prefix alone, before any of the body is kept, whether the frame may be read at all.
// Nothing on this stream is authenticated until the whole frame is opened with the keyring,
// so what a stranger can make us hold is bounded by the cap, not by what it declares.

export const FRAME_HEADER_BYTES = 4;

export type FrameRefusal = 'oversize' | 'undersize' | 'trailing' | 'truncated';

export type FrameStep =
  | { kind: 'more' }
  | { kind: 'frame'; frame: Buffer }
  | { kind: 'refused'; cause: FrameRefusal; detail: string };

export class FrameReader {
  private header = Buffer.alloc(0);
  private length = -1;
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private done = false;

  /** `minBytes`..`maxBytes`: the sizes a sealed frame can legitimately have. */
  constructor(
    private readonly maxBytes: number,
    private readonly minBytes = 1,
  ) {}

  /** Body bytes held so far (for a buffer budget across streams). */
  get buffered(): number {
    return this.received;
  }

  /** The length the prefix declared, once read. */
  get declared(): number | undefined {
    return this.length < 0 ? undefined : this.length;
  }

  push(chunk: Buffer): FrameStep {
    if (this.done) return this.refuse('trailing', `${chunk.length} bytes after the frame`);
    let rest = chunk;
    if (this.length < 0) {
      const need = FRAME_HEADER_BYTES - this.header.length;
      this.header = Buffer.concat([this.header, rest.subarray(0, need)]);
      rest = rest.subarray(need);
      if (this.header.length < FRAME_HEADER_BYTES) return { kind: 'more' };
      this.length = this.header.readUInt32BE(0);
      if (this.length > this.maxBytes) return this.refuse('oversize', `length prefix ${this.length} > ${this.maxBytes}`);
      if (this.length < this.minBytes) return this.refuse('undersize', `length prefix ${this.length} < ${this.minBytes}`);
    }
    const want = this.length - this.received;
    if (rest.length > want) return this.refuse('trailing', `${rest.length - want} bytes after the frame`);
    if (rest.length > 0) {
      this.chunks.push(rest);
      this.received += rest.length;
    }
    if (this.received < this.length) return { kind: 'more' };
    this.done = true;
    const frame = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    this.chunks.length = 0;
    return { kind: 'frame', frame };
  }

  /** The stream ended: a frame not read whole is refused. */
  end(): FrameStep | undefined {
    if (this.done) return undefined;
    const detail = this.length < 0 ? `${this.header.length} of ${FRAME_HEADER_BYTES} header bytes` : `${this.received} of ${this.length} bytes`;
    return this.refuse('truncated', detail);
  }

  private refuse(cause: FrameRefusal, detail: string): FrameStep {
    this.done = true;
    this.chunks.length = 0;
    this.received = 0;
    return { kind: 'refused', cause, detail };
  }
}
