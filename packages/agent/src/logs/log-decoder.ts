import { LogSource, type LogLine } from '@flotilla/api';

/**
 * Turns the bytes of Docker's `/containers/{id}/logs?timestamps=1` answer into lines.
 *
 * Without a TTY the engine multiplexes stdout and stderr in frames (1 byte stream type,
 * 3 zero bytes, 4 bytes big-endian length, payload); with a TTY it sends the raw bytes
 * as stdout. A frame or a line may be split anywhere between two reads, so partial
 * frames and partial lines are carried over to the next `push`. Each line starts with
 * the engine's RFC 3339 nano timestamp and a space, which is split off.
 */
export class LogDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Partial<Record<LogSource, Buffer[]>> = {
    [LogSource.LOG_SOURCE_STDOUT]: [],
    [LogSource.LOG_SOURCE_STDERR]: [],
  };

  constructor(private readonly multiplexed: boolean) {}

  /** Decodes what arrived; returns every line completed by it. */
  push(bytes: Buffer): LogLine[] {
    const out: LogLine[] = [];
    if (!this.multiplexed) {
      this.splitLines(LogSource.LOG_SOURCE_STDOUT, bytes, out);
      return out;
    }
    let buf = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      // Type 2 is stderr; 0 (stdin echo) and 1 are shown as stdout, as docker does.
      const source = buf[0] === 2 ? LogSource.LOG_SOURCE_STDERR : LogSource.LOG_SOURCE_STDOUT;
      this.splitLines(source, buf.subarray(8, 8 + size), out);
      buf = buf.subarray(8 + size);
    }
    this.pending = Buffer.from(buf);
    return out;
  }

  /** The stream ended: a last line without its newline is still a line. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const source of [LogSource.LOG_SOURCE_STDOUT, LogSource.LOG_SOURCE_STDERR]) {
      const rest = this.partial[source] ?? [];
      if (rest.length > 0) out.push(toLine(source, Buffer.concat(rest)));
      this.partial[source] = [];
    }
    this.pending = Buffer.alloc(0);
    return out;
  }

  private splitLines(source: LogSource, bytes: Buffer, out: LogLine[]): void {
    let start = 0;
    for (let nl = bytes.indexOf(10, start); nl >= 0; nl = bytes.indexOf(10, start)) {
      const piece = bytes.subarray(start, nl);
      const carried = this.partial[source] ?? [];
      out.push(toLine(source, carried.length > 0 ? Buffer.concat([...carried, piece]) : piece));
      this.partial[source] = [];
      start = nl + 1;
    }
    if (start < bytes.length) (this.partial[source] ??= []).push(Buffer.from(bytes.subarray(start)));
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) /;

function toLine(source: LogSource, raw: Buffer): LogLine {
  const text = raw.toString('utf8').replace(/\r$/, '');
  const m = TIMESTAMP.exec(text);
  return m ? { source, timestamp: m[1]!, text: text.slice(m[0].length) } : { source, timestamp: '', text };
}
