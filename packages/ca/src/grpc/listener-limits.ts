/**
 * Bounds of the managers' port (2377) before any certificate is checked: anyone may connect and
 * call GetRootCaCertificate and IssueNodeCertificate without one, so what a connection may cost
 * is capped here, not left to grpc-js's and Node's defaults (a 120 s TLS handshake, unlimited
 * streams, connections and session memory, keepalive every 2 hours, 4 MiB messages).
 */
export interface CaListenerLimits {
  /** Open connections in total; more are closed on accept. */
  maxConnections: number;
  /** Open connections from one source address. */
  maxConnectionsPerAddress: number;
  /** A TLS handshake not finished by then closes the connection (Node's default is 120 s). */
  tlsHandshakeTimeoutMs: number;
  /**
   * Largest request. The largest legitimate one is a secret's 500 KB; control calls travel between
   * managers over NATS too, whose max_payload is 1 MiB.
   */
  maxReceiveMessageBytes: number;
  /** Calls in flight on one connection. */
  maxConcurrentStreams: number;
  /** HTTP/2 memory one connection may hold (grpc-js lifts Node's limit unless told), in MB. */
  maxSessionMemoryMb: number;
  /** Ping an idle client this often, and drop it when the ping is not answered in time. */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** A connection with no call for this long is closed (a client reconnects when it needs to). */
  maxConnectionIdleMs: number;
}

export const CA_LISTENER_LIMITS: Readonly<CaListenerLimits> = Object.freeze({
  maxConnections: 2_048,
  maxConnectionsPerAddress: 64,
  tlsHandshakeTimeoutMs: 5_000,
  maxReceiveMessageBytes: 1024 * 1024,
  maxConcurrentStreams: 32,
  maxSessionMemoryMb: 16,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionIdleMs: 120_000,
});

/** grpc-js server options for these limits (the connection counts are enforced by connectionGate). */
export function grpcServerOptions(limits: CaListenerLimits): Record<string, number> {
  return {
    'grpc.max_receive_message_length': limits.maxReceiveMessageBytes,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc-node.max_session_memory': limits.maxSessionMemoryMb,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs,
  };
}

/** Counts open connections in total and per source address; `admit` says whether one more may open. Pure state, no I/O. */
export class ConnectionGate {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  /** Connections closed on accept because a cap was reached. */
  refused = 0;

  constructor(private readonly limits: Pick<CaListenerLimits, 'maxConnections' | 'maxConnectionsPerAddress'>) {}

  get open(): number {
    return this.total;
  }

  /** Takes a slot for `address`, or returns false (and counts the refusal) when a cap is reached. */
  admit(address: string): boolean {
    const fromThere = this.perAddress.get(address) ?? 0;
    if (this.total >= this.limits.maxConnections || fromThere >= this.limits.maxConnectionsPerAddress) {
      this.refused++;
      return false;
    }
    this.total++;
    this.perAddress.set(address, fromThere + 1);
    return true;
  }

  /** Gives back the slot of an admitted connection that closed. */
  release(address: string): void {
    const fromThere = this.perAddress.get(address) ?? 0;
    if (fromThere <= 0) return;
    this.total--;
    if (fromThere === 1) this.perAddress.delete(address);
    else this.perAddress.set(address, fromThere - 1);
  }
}
