import { ServerCredentials } from '@grpc/grpc-js';

export interface ServerIdentity {
  certPem: string;
  keyPem: string;
  caCertPem: string;
}

/**
 * TLS that asks every client for a certificate but lets the handshake finish
 * without one, because a joining node has none yet. grpc-js's createSsl can
 * only require a certificate or not ask at all, hence this subclass.
 * grpc-js then exposes the peer certificate (via call.getAuthContext()) only
 * when it verified against `ca`, so handlers see either a cluster certificate
 * or nothing.
 */
export class OptionalClientCertServerCredentials extends ServerCredentials {
  /** `handshakeTimeoutMs`: a TLS handshake not finished by then closes the connection (Node's default is 120 s). */
  constructor(identity: ServerIdentity, handshakeTimeoutMs = 5_000) {
    super({ requestCert: true, rejectUnauthorized: false, handshakeTimeout: handshakeTimeoutMs }, OptionalClientCertServerCredentials.context(identity));
  }

  private static context(identity: ServerIdentity) {
    return { ca: [identity.caCertPem], cert: [identity.certPem], key: [identity.keyPem] };
  }

  /** Swaps the server's certificate (after renewal) without closing the listener. */
  updateIdentity(identity: ServerIdentity): void {
    this.updateSecureContextOptions(OptionalClientCertServerCredentials.context(identity));
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
