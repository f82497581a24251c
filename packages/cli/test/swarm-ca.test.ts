import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRootCa } from '@flotilla/ca';
import { redrawBlock, rotationProgressLines, swarmCaCommand } from '../src/commands/swarm-ca.js';
import { CliError } from '../src/errors.js';

const oldRoot = createRootCa({ clusterId: 'cli-ca' });
const newRoot = createRootCa({ clusterId: 'cli-ca' });
const digest = (pem: string) => `sha256:${createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')}`;

describe('swarm ca progress', () => {
  it('shows the root being rolled out, both bars and the nodes still to move', () => {
    const lines = rotationProgressLines({
      rootCaCertificate: oldRoot.certPem,
      desiredRootCaCertificate: newRoot.certPem,
      rotating: true,
      phase: 'migrating',
      total: 3,
      tlsMoved: 2,
      caMoved: 0,
      pending: ['node-c'],
    });
    expect(lines[0]).toBe(`desired root digest: ${digest(newRoot.certPem)}`);
    expect(lines[1]).toMatch(/^ {2}rotated TLS certificates: {2}\[=+> +\] 2\/3 nodes$/);
    expect(lines[2]).toMatch(/^ {2}rotated CA certificates: {3}\[ +\] 0\/3 nodes$/);
    expect(lines[3]).toBe('  waiting for: node-c');
  });

  it('draws full bars and no waiting line once done', () => {
    const lines = rotationProgressLines({ rootCaCertificate: newRoot.certPem, desiredRootCaCertificate: '', rotating: false, phase: 'done', total: 0, tlsMoved: 0, caMoved: 0, pending: [] });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`desired root digest: ${digest(newRoot.certPem)}`);
    expect(lines[1]).toContain('=>] 0/0 nodes');
  });

  it('on a terminal, redraws the block over the previous one and clears what it had below', () => {
    expect(redrawBlock(0, ['a', 'b'])).toBe('\x1b[2Ka\n\x1b[2Kb\n\x1b[J');
    expect(redrawBlock(4, ['a'])).toBe('\x1b[4F\x1b[2Ka\n\x1b[J');
  });

  it('refuses --detach without --rotate before dialling anything', async () => {
    const ctx = { host: { transport: 'unix', target: 'x', url: 'x' }, client: { version: '', runtimeVersion: '', os: '', arch: '' }, out: () => {}, warn: () => {}, connect: () => { throw new Error('must not connect'); } };
    await expect(swarmCaCommand(ctx as never, { detach: true })).rejects.toThrow(CliError);
  });
});
