import { randomBytes } from 'node:crypto';

/** Length of every object id: 128 random bits in base36 need 25 digits. */
export const ID_LENGTH = 25;
const ID_PATTERN = /^[0-9a-z]{25}$/;

/**
 * A new object id like swarm's: 128 bits from the OS CSPRNG, lower-case
 * base36, left-padded with zeros to 25 characters, so ids sort and compare
 * as plain strings and never collide in practice.
 */
export function newId(): string {
  const hex = randomBytes(16).toString('hex');
  return BigInt(`0x${hex}`).toString(36).padStart(ID_LENGTH, '0');
}

/** True for a string shaped like a Flotilla object id. */
export function isId(text: string): boolean {
  return ID_PATTERN.test(text);
}

/**
 * Docker-style task (and container) name: `<service>.<slot>.<taskId>` for a
 * replicated service, `<service>.<nodeId>.<taskId>` for a global one.
 */
export function taskName(serviceName: string, slotOrNodeId: number | string, taskId: string): string {
  return `${serviceName}.${slotOrNodeId}.${taskId}`;
}
