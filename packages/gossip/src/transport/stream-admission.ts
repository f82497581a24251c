// Pure: how many inbound push/pull streams may be open (per source and in total) and how many
// not-yet-authenticated body bytes they may hold together. With these, what a stranger can make
// a node hold is maxStreams × (socket + deadline timer) plus maxBufferedBytes, whatever it sends
// and however many connections it opens.
//
// Streams from the addresses of current members are counted apart from strangers' (their own
// total and byte budget): strangers filling their caps from many addresses must not refuse the
// members' own push/pulls (anti-entropy, the network DB's state). A TCP source address cannot be
// forged off-path (the handshake must complete), so it is a fair way to pick the budget, not a
// substitute for the key: a member's frames are opened with the keyring like anyone's.

export interface StreamLimits {
  /** Largest frame accepted (see MAX_FRAME_BYTES for how it is derived). */
  maxFrameBytes: number;
  /** Every inbound stream is closed this long after it was accepted, finished or not. */
  streamDeadlineMs: number;
  /** Inbound streams open at once from one source (a member's address; a stranger's address, an IPv6 one by its /64). */
  maxStreamsPerSource: number;
  /** Inbound streams open at once from strangers (addresses no current member has). */
  maxStreams: number;
  /** Inbound streams open at once from current members' addresses. */
  maxMemberStreams: number;
  /** Body bytes the inbound streams of strangers may hold before their frames are complete and opened; members have a budget of the same size of their own. */
  maxBufferedBytes: number;
  /** Largest datagram opened; bigger ones are dropped before any decryption. */
  maxDatagramBytes: number;
}

export type AdmissionRefusal = 'too-many-from-source' | 'too-many-streams';

/** Whose budget a stream counts against. */
export type SourceKind = 'member' | 'stranger';

/** A place taken by `admit`: give it back with `release`, count its bytes with `hold`/`drop`. */
export interface StreamPlace {
  readonly kind: SourceKind;
  /** The key the per-source cap counts (the address, or a stranger's IPv6 /64). */
  readonly source: string;
}

/**
 * The key a stranger's per-source cap counts: the address for IPv4, the /64 prefix for IPv6
 * (one host gets a whole /64 and picks any source address in it, so per-address caps would not
 * hold it). Members are counted by their exact address: a cluster may live in one /64.
 */
export function strangerSourceKey(address: string): string {
  const addr = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!addr.includes(':')) return addr;
  const groups = expandIpv6(addr);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : addr;
}

/** The eight 16-bit groups of an IPv6 address (zone and embedded IPv4 handled), or undefined. */
function expandIpv6(address: string): string[] | undefined {
  let addr = address.replace(/%.*$/, '').toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    addr = `${addr.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

interface Pool {
  open: number;
  buffered: number;
  readonly perSource: Map<string, number>;
  readonly maxStreams: number;
}

export class StreamAdmission {
  private readonly pools: Record<SourceKind, Pool>;

  constructor(private readonly limits: Pick<StreamLimits, 'maxStreamsPerSource' | 'maxStreams' | 'maxBufferedBytes'> & Partial<Pick<StreamLimits, 'maxMemberStreams'>>) {
    const pool = (maxStreams: number): Pool => ({ open: 0, buffered: 0, perSource: new Map(), maxStreams });
    this.pools = { stranger: pool(limits.maxStreams), member: pool(limits.maxMemberStreams ?? limits.maxStreams) };
  }

  /** Streams open now (both kinds). */
  get openStreams(): number {
    return this.pools.member.open + this.pools.stranger.open;
  }

  /** Body bytes held now (both kinds). */
  get bufferedBytes(): number {
    return this.pools.member.buffered + this.pools.stranger.buffered;
  }

  /** Takes a place for a stream from `address` (a member's or a stranger's), or says why there is none. */
  admit(address: string, kind: SourceKind = 'stranger'): StreamPlace | AdmissionRefusal {
    const source = kind === 'member' ? address : strangerSourceKey(address);
    const pool = this.pools[kind];
    const mine = pool.perSource.get(source) ?? 0;
    if (mine >= this.limits.maxStreamsPerSource) return 'too-many-from-source';
    if (pool.open >= pool.maxStreams) return 'too-many-streams';
    pool.perSource.set(source, mine + 1);
    pool.open++;
    return { kind, source };
  }

  /** Gives back the place `admit` took (once per admitted stream). */
  release(place: StreamPlace): void {
    const pool = this.pools[place.kind];
    const mine = pool.perSource.get(place.source) ?? 0;
    if (mine <= 1) pool.perSource.delete(place.source);
    else pool.perSource.set(place.source, mine - 1);
    if (mine > 0) pool.open--;
  }

  /** Counts `bytes` more held by a stream of `place`'s kind; false (and nothing counted) when over its budget. */
  hold(place: Pick<StreamPlace, 'kind'>, bytes: number): boolean {
    const pool = this.pools[place.kind];
    if (pool.buffered + bytes > this.limits.maxBufferedBytes) return false;
    pool.buffered += bytes;
    return true;
  }

  /** The stream no longer holds `bytes` (its frame was opened, or it was refused). */
  drop(place: Pick<StreamPlace, 'kind'>, bytes: number): void {
    const pool = this.pools[place.kind];
    pool.buffered = Math.max(0, pool.buffered - bytes);
  }

  /** Body bytes held by one kind's streams. */
  bufferedBy(kind: SourceKind): number {
    return this.pools[kind].buffered;
  }
}
