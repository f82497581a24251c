import type { LogLine } from '@flotilla/api';

/** Lines waiting to be sent, taken in chunks bounded by a line count and a byte size. */
export class LineBatch {
  private lines: LogLine[] = [];
  private bytes = 0;

  constructor(
    readonly maxLines: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.lines.length;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** Enough for a full chunk: send now rather than wait for more. */
  get ripe(): boolean {
    return this.lines.length >= this.maxLines || this.bytes >= this.maxBytes;
  }

  add(lines: readonly LogLine[]): void {
    for (const l of lines) {
      this.lines.push(l);
      this.bytes += l.text.length + l.timestamp.length + 4;
    }
  }

  /** The next chunk's lines: at least one line (however long), then up to the bounds. */
  take(): LogLine[] {
    let n = 0;
    let bytes = 0;
    while (n < this.lines.length && n < this.maxLines) {
      const l = this.lines[n]!;
      const size = l.text.length + l.timestamp.length + 4;
      if (n > 0 && bytes + size > this.maxBytes) break;
      bytes += size;
      n++;
    }
    const taken = this.lines.splice(0, n);
    this.bytes -= bytes;
    return taken;
  }
}
