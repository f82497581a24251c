import { randomBytes } from 'node:crypto';

export const NODE_ID_LENGTH = 25;
const NODE_ID_PATTERN = /^[0-9a-z]{25}$/;

/** 128 random bits in base36, padded to 25 characters: the shape of swarm node IDs. */
export function newNodeId(): string {
  return BigInt('0x' + randomBytes(16).toString('hex')).toString(36).padStart(NODE_ID_LENGTH, '0');
}

export function isValidNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}
