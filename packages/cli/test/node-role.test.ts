import { NodeRole } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { parseRole, roleChangeMessage } from '../src/commands/node-role.js';
import { CliError } from '../src/errors.js';

describe('node promote / demote / update --role', () => {
  it('--role takes manager or worker; anything else is a usage error (exit 2)', () => {
    expect(parseRole('manager')).toBe(NodeRole.NODE_ROLE_MANAGER);
    expect(parseRole('worker')).toBe(NodeRole.NODE_ROLE_WORKER);
    try {
      parseRole('boss');
      throw new Error('parseRole accepted "boss"');
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as CliError).message).toBe('invalid argument "boss" for "--role" flag: expected manager or worker');
    }
  });

  it('says what docker says', () => {
    expect(roleChangeMessage('n1', NodeRole.NODE_ROLE_MANAGER, true)).toBe('Node n1 promoted to a manager in the swarm.');
    expect(roleChangeMessage('n1', NodeRole.NODE_ROLE_MANAGER, false)).toBe('Node n1 is already a manager.');
    expect(roleChangeMessage('n1', NodeRole.NODE_ROLE_WORKER, true)).toBe('Manager n1 demoted in the swarm.');
    expect(roleChangeMessage('n1', NodeRole.NODE_ROLE_WORKER, false)).toBe('Node n1 is already a worker.');
  });
});
