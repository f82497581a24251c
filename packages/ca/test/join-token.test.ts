import { NodeRole } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { CA_DIGEST_MISMATCH, CaError, INVALID_JOIN_TOKEN } from '../src/errors.js';
import { checkCaPin, createJoinTokens, generateJoinToken, matchJoinToken, parseJoinToken, rotateJoinTokens } from '../src/join-token.js';
import { createRootCa } from '../src/root-ca.js';

const rootCa = createRootCa({ clusterId: 'c1' });

describe('join tokens', () => {
  it("have Docker's shape: SWMTKN-1-<50 base36>-<25 base36>", () => {
    const token = generateJoinToken(rootCa.digest);
    expect(token).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    expect(parseJoinToken(token).caDigest).toBe(rootCa.digest);
  });

  it('carries a digest with leading zeros intact', () => {
    const digest = '00000000' + 'f'.repeat(56);
    expect(parseJoinToken(generateJoinToken(digest)).caDigest).toBe(digest);
  });

  it('worker and manager tokens differ and each grants its role', () => {
    const tokens = createJoinTokens(rootCa.digest);
    expect(tokens.worker).not.toBe(tokens.manager);
    expect(matchJoinToken(tokens.worker, tokens)).toBe(NodeRole.NODE_ROLE_WORKER);
    expect(matchJoinToken(tokens.manager, tokens)).toBe(NodeRole.NODE_ROLE_MANAGER);
    expect(matchJoinToken(`  ${tokens.worker}\n`, tokens)).toBe(NodeRole.NODE_ROLE_WORKER);
  });

  it('refuses wrong shapes and unknown secrets with exactly "invalid join token"', () => {
    const tokens = createJoinTokens(rootCa.digest);
    const unknown = generateJoinToken(rootCa.digest);
    const bad = ['', 'SWMTKN-1-abc-def', tokens.worker.replace('SWMTKN-1', 'SWMTKN-2'), tokens.worker.toUpperCase(), tokens.worker + 'x', unknown,
      // 50 base36 'z's overflow 256 bits: right shape, impossible digest
      `SWMTKN-1-${'z'.repeat(50)}-${'0'.repeat(25)}`];
    for (const token of bad) {
      let caught: unknown;
      try {
        matchJoinToken(token, tokens);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CaError);
      expect((caught as CaError).message).toBe(INVALID_JOIN_TOKEN);
      expect((caught as CaError).code).toBe('invalid-join-token');
    }
  });

  it('rotation replaces only the chosen secret and the old token stops matching', () => {
    const tokens = createJoinTokens(rootCa.digest);
    const rotated = rotateJoinTokens(tokens, 'worker', rootCa.digest);
    expect(rotated.manager).toBe(tokens.manager);
    expect(rotated.worker).not.toBe(tokens.worker);
    expect(() => matchJoinToken(tokens.worker, rotated)).toThrow(INVALID_JOIN_TOKEN);
    expect(matchJoinToken(rotated.worker, rotated)).toBe(NodeRole.NODE_ROLE_WORKER);
    const both = rotateJoinTokens(rotated, 'both', rootCa.digest);
    expect(both.worker).not.toBe(rotated.worker);
    expect(both.manager).not.toBe(rotated.manager);
  });

  it('the pin accepts the real CA and refuses any other', () => {
    const token = generateJoinToken(rootCa.digest);
    expect(() => checkCaPin(token, rootCa.certPem)).not.toThrow();
    const impostor = createRootCa({ clusterId: 'c1' });
    expect(() => checkCaPin(token, impostor.certPem)).toThrow(CA_DIGEST_MISMATCH);
    expect(() => checkCaPin(token, 'not a certificate')).toThrow(CA_DIGEST_MISMATCH);
    expect(() => checkCaPin('nonsense', rootCa.certPem)).toThrow(INVALID_JOIN_TOKEN);
  });
});
