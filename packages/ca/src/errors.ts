/** Every refusal the CA makes carries a stable code so callers (gRPC handlers, CLI) can map it without parsing text. */
export type CaErrorCode =
  | 'invalid-argument'
  | 'invalid-join-token'
  | 'ca-digest-mismatch'
  | 'certificate-invalid'
  | 'node-denied'
  | 'permission-denied'
  | 'unavailable';

export class CaError extends Error {
  readonly code: CaErrorCode;
  constructor(code: CaErrorCode, message: string) {
    super(message);
    this.name = 'CaError';
    this.code = code;
  }
}

export const INVALID_JOIN_TOKEN = 'invalid join token';
export const CA_DIGEST_MISMATCH = "the cluster's root CA does not match the join token: refusing to join";
