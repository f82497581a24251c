import { JoinTokens, NodeRole } from '@flotilla/api';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { base36ToBigInt, hexToBase36 } from './base36.js';
import { certificateDigest } from './digest.js';
import { CA_DIGEST_MISMATCH, CaError, INVALID_JOIN_TOKEN } from './errors.js';
import { CertRole } from './roles.js';

/**
 * Same shape as Docker's swarm tokens: SWMTKN-1-<sha256 of the root CA in
 * base36, 50 chars>-<128-bit secret in base36, 25 chars>. Keeping Docker's
 * prefix means operators recognise it and secret scanners already flag it.
 */
export const JOIN_TOKEN_PREFIX = 'SWMTKN';
export const JOIN_TOKEN_VERSION = 1;
const DIGEST_WIDTH = 50;
const SECRET_WIDTH = 25;
const TOKEN_PATTERN = /^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})$/;
const MAX_256 = (1n << 256n) - 1n;
const MAX_128 = (1n << 128n) - 1n;

export interface ParsedJoinToken {
  version: 1;
  /** Root CA digest, sha256 hex (64 chars), the pin. */
  caDigest: string;
  secret: string;
}

export function generateJoinToken(caDigestHex: string): string {
  if (!/^[0-9a-f]{64}$/.test(caDigestHex)) {
    throw new CaError('invalid-argument', `generating a join token: CA digest must be 64 hex characters, got "${caDigestHex}"`);
  }
  const secret = hexToBase36(randomBytes(16).toString('hex'), SECRET_WIDTH);
  return `${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-${hexToBase36(caDigestHex, DIGEST_WIDTH)}-${secret}`;
}

/** Shape check only; whether the secret is current is matchJoinToken's job. Never echoes the token back. */
export function parseJoinToken(token: string): ParsedJoinToken {
  const match = typeof token === 'string' ? TOKEN_PATTERN.exec(token.trim()) : null;
  const digestPart = match?.[1];
  const secretPart = match?.[2];
  if (digestPart === undefined || secretPart === undefined) throw new CaError('invalid-join-token', INVALID_JOIN_TOKEN);
  const digest = base36ToBigInt(digestPart);
  const secret = base36ToBigInt(secretPart);
  if (digest === undefined || secret === undefined || digest > MAX_256 || secret > MAX_128) {
    throw new CaError('invalid-join-token', INVALID_JOIN_TOKEN);
  }
  return { version: 1, caDigest: digest.toString(16).padStart(64, '0'), secret: secretPart };
}

export function createJoinTokens(caDigestHex: string): JoinTokens {
  return { worker: generateJoinToken(caDigestHex), manager: generateJoinToken(caDigestHex), service: generateJoinToken(caDigestHex) };
}

/** Which token(s) to rotate; 'both' (a root CA rotation) renews every token, the service token included. */
export type TokenRotation = 'worker' | 'manager' | 'service' | 'both';

/** New secrets for the chosen role(s); the old token stops working as soon as the result is stored. */
export function rotateJoinTokens(current: JoinTokens, which: TokenRotation, caDigestHex: string): JoinTokens {
  const renew = (kind: Exclude<TokenRotation, 'both'>, old: string) => (which === kind || which === 'both' ? generateJoinToken(caDigestHex) : old);
  return { worker: renew('worker', current.worker), manager: renew('manager', current.manager), service: renew('service', current.service ?? '') };
}

/** Compares hashes so the comparison takes the same time whatever the lengths. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The role a presented token grants, or "invalid join token" (never saying which part was wrong). */
export function matchJoinToken(token: string, current: JoinTokens): CertRole {
  const parsed = parseJoinToken(token);
  const normalised = `${JOIN_TOKEN_PREFIX}-1-${hexToBase36(parsed.caDigest, DIGEST_WIDTH)}-${parsed.secret}`;
  const isManager = current.manager !== '' && sameSecret(normalised, current.manager);
  const isWorker = current.worker !== '' && sameSecret(normalised, current.worker);
  if (isManager) return NodeRole.NODE_ROLE_MANAGER;
  if (isWorker) return NodeRole.NODE_ROLE_WORKER;
  throw new CaError('invalid-join-token', INVALID_JOIN_TOKEN);
}

/**
 * A service process's token (issue 16): only the service token matches, so a worker or manager
 * token never yields a service certificate, and the service token never a node's.
 */
export function matchServiceToken(token: string, current: JoinTokens): void {
  const parsed = parseJoinToken(token);
  const normalised = `${JOIN_TOKEN_PREFIX}-1-${hexToBase36(parsed.caDigest, DIGEST_WIDTH)}-${parsed.secret}`;
  if (current.service === '' || !sameSecret(normalised, current.service)) throw new CaError('invalid-join-token', INVALID_JOIN_TOKEN);
}

/** The joining side's pin: the CA it was shown must be the one the token names. */
export function checkCaPin(token: string, caCertPem: string): void {
  const parsed = parseJoinToken(token);
  let shown: string;
  try {
    shown = certificateDigest(caCertPem);
  } catch {
    throw new CaError('ca-digest-mismatch', CA_DIGEST_MISMATCH);
  }
  if (!sameSecret(shown, parsed.caDigest)) throw new CaError('ca-digest-mismatch', CA_DIGEST_MISMATCH);
}
