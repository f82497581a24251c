// Encoding and decoding of wire messages with the api's generated codecs.
// A payload that does not decode is a MalformedMessageError naming the
// message type and the subject, never an unhandled crash.
import * as api from '@flotilla/api';

/** The part of a ts-proto generated message codec that the bus uses. */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export class MalformedMessageError extends Error {
  constructor(
    readonly typeName: string,
    readonly subject: string,
    cause: unknown,
  ) {
    super(
      `malformed ${typeName} on subject ${JSON.stringify(subject)}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'MalformedMessageError';
  }
}

let typeNames: Map<unknown, string> | undefined;

/** The api export name of a generated message type ("Task"), for error messages. */
export function messageTypeName(type: MessageType<unknown>): string {
  if (!typeNames) {
    typeNames = new Map();
    for (const [name, value] of Object.entries(api)) {
      if (value && typeof value === 'object' && 'encode' in value && 'decode' in value) {
        typeNames.set(value, name);
      }
    }
  }
  return typeNames.get(type) ?? 'message of unknown type';
}

export function encodeMessage<T>(type: MessageType<T>, message: T): Uint8Array {
  return type.encode(message).finish();
}

/** Decodes `bytes` received on `subject`; throws MalformedMessageError if they are not a `type`. */
export function decodeMessage<T>(type: MessageType<T>, bytes: Uint8Array, subject: string): T {
  try {
    return type.decode(bytes);
  } catch (err) {
    throw new MalformedMessageError(messageTypeName(type as MessageType<unknown>), subject, err);
  }
}
