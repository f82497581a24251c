import { Metadata, ServiceError, status } from '@grpc/grpc-js';
import { CaError, CaErrorCode } from '../errors.js';

const CODE_TO_STATUS: Record<CaErrorCode, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'invalid-join-token': status.UNAUTHENTICATED,
  'ca-digest-mismatch': status.FAILED_PRECONDITION,
  'certificate-invalid': status.UNAUTHENTICATED,
  'node-denied': status.PERMISSION_DENIED,
  'permission-denied': status.PERMISSION_DENIED,
  unavailable: status.UNAVAILABLE,
};

/** The CaError code travels in trailing metadata so the client gets the same error back, not a guess from text. */
export const CA_ERROR_CODE_KEY = 'flotilla-ca-error';

export interface CaStatus {
  code: status;
  details: string;
  metadata: Metadata;
}

/** Usable both as a handler callback error and as an interceptor's sendStatus argument. */
export function toStatus(err: CaError): CaStatus {
  const metadata = new Metadata();
  metadata.set(CA_ERROR_CODE_KEY, err.code);
  return { code: CODE_TO_STATUS[err.code], details: err.message, metadata };
}

function isCaErrorCode(value: unknown): value is CaErrorCode {
  return typeof value === 'string' && value in CODE_TO_STATUS;
}

/**
 * Turns a failed call into a CaError with a message a CLI can print as is.
 * Known CA refusals keep their exact text ("invalid join token"); transport
 * failures say what was being done and where.
 */
export function fromServiceError(err: unknown, doing: string): CaError {
  const serviceError = err as Partial<ServiceError>;
  const code = serviceError.metadata?.get(CA_ERROR_CODE_KEY)[0];
  if (isCaErrorCode(code) && typeof serviceError.details === 'string') {
    return new CaError(code, serviceError.details);
  }
  if (serviceError.code === status.UNAVAILABLE || serviceError.code === status.DEADLINE_EXCEEDED) {
    return new CaError('unavailable', `${doing}: manager unreachable (${serviceError.details ?? 'no details'})`);
  }
  if (serviceError.code === status.UNAUTHENTICATED || serviceError.code === status.PERMISSION_DENIED) {
    return new CaError('permission-denied', `${doing}: ${serviceError.details ?? 'refused'}`);
  }
  const message = serviceError.details ?? (err instanceof Error ? err.message : String(err));
  return new CaError('unavailable', `${doing}: ${message}`);
}
