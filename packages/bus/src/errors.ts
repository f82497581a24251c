// The typed error of bus request/reply. Handlers throw it to answer with a
// code; callers catch it with the code the handler chose, or the code the bus
// itself assigned (UNAVAILABLE, DEADLINE_EXCEEDED, ...).
import { BusError, BusError_Code } from '@flotilla/api';

export type BusErrorCode = Exclude<BusError_Code, BusError_Code.CODE_UNSPECIFIED | BusError_Code.UNRECOGNIZED>;
export const BusErrorCode = BusError_Code;

export class BusRequestError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    readonly details: { subject?: string; leaderHint?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'BusRequestError';
  }

  get subject(): string | undefined {
    return this.details.subject;
  }

  get leaderHint(): string | undefined {
    return this.details.leaderHint;
  }

  /** The wire form sent back to the caller. */
  toWire(): BusError {
    return { code: this.code, message: this.message, leaderHint: this.details.leaderHint ?? '' };
  }

  /** Rebuilds the caller-side error from a wire reply to a request on `subject`. */
  static fromWire(wire: BusError, subject: string): BusRequestError {
    const known = wire.code !== BusError_Code.CODE_UNSPECIFIED && wire.code !== BusError_Code.UNRECOGNIZED;
    const code: BusErrorCode = known ? (wire.code as BusErrorCode) : BusError_Code.INTERNAL;
    const message = known ? wire.message : `unknown error code from ${subject}: ${wire.message}`;
    return new BusRequestError(code, message, {
      subject,
      ...(wire.leaderHint ? { leaderHint: wire.leaderHint } : {}),
    });
  }
}

export function isBusRequestError(err: unknown, code?: BusErrorCode): err is BusRequestError {
  return err instanceof BusRequestError && (code === undefined || err.code === code);
}

