// Pure: how many inbound push/pull streams may be open (per source address and in total) and
// how many not-yet-authenticated body bytes they may hold together. With these, what a
// stranger can make a node hold is maxStreams × (socket + deadline timer) plus
// maxBufferedBytes, whatever it sends and however many connections it opens.

export interface StreamLimits {
  /** Largest frame accepted (see MAX_FRAME_BYTES for how it is derived). */
  maxFrameBytes: number;
  /** Every inbound stream is closed this long after it was accepted, finished or not. */
  streamDeadlineMs: number;
  /** Inbound streams open at once from one address. */
  maxStreamsPerSource: number;
  /** Inbound streams open at once from everyone. */
  maxStreams: number;
  /** Body bytes all inbound streams may hold before their frames are complete and opened. */
  maxBufferedBytes: number;
  /** Largest datagram opened; bigger ones are dropped before any decryption. */
  maxDatagramBytes: number;
}

export type AdmissionRefusal = 'too-many-from-source' | 'too-many-streams';

export class StreamAdmission {
  private readonly perSource = new Map<string, number>();
  private open = 0;
  private buffered = 0;

  constructor(private readonly limits: Pick<StreamLimits, 'maxStreamsPerSource' | 'maxStreams' | 'maxBufferedBytes'>) {}

  get openStreams(): number {
    return this.open;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Takes a place for a stream from `source`, or says why there is none. */
  admit(source: string): AdmissionRefusal | undefined {
    const mine = this.perSource.get(source) ?? 0;
    if (mine >= this.limits.maxStreamsPerSource) return 'too-many-from-source';
    if (this.open >= this.limits.maxStreams) return 'too-many-streams';
    this.perSource.set(source, mine + 1);
    this.open++;
    return undefined;
  }

  /** Gives back the place `admit` took (once per admitted stream). */
  release(source: string): void {
    const mine = this.perSource.get(source) ?? 0;
    if (mine <= 1) this.perSource.delete(source);
    else this.perSource.set(source, mine - 1);
    if (mine > 0) this.open--;
  }

  /** Counts `bytes` more held by a stream; false (and nothing counted) when over the budget. */
  hold(bytes: number): boolean {
    if (this.buffered + bytes > this.limits.maxBufferedBytes) return false;
    this.buffered += bytes;
    return true;
  }

  /** The stream no longer holds `bytes` (its frame was opened, or it was refused). */
  drop(bytes: number): void {
    this.buffered = Math.max(0, this.buffered - bytes);
  }
}
