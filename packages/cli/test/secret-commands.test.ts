import { Secret } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { parseSecretFlag, updatedSecrets } from '../src/commands/secret-flags.js';
import { formatSecretList, formatSecretPretty, secretSpecFromInput } from '../src/commands/secret.js';
import { CliError } from '../src/errors.js';

const ref = (name: string, target = name) => ({ secretId: `id-${name}`, secretName: name, target, uid: '0', gid: '0', mode: 0o444 });

describe('--secret', () => {
  it('takes a bare name as source and target', () => {
    expect(parseSecretFlag('--secret', 'db_pass')).toEqual({ secretName: 'db_pass', target: 'db_pass' });
  });

  it('takes the long form with an octal mode', () => {
    expect(parseSecretFlag('--secret', 'source=db_pass,target=pw,uid=1000,gid=50,mode=0400')).toEqual({ secretName: 'db_pass', target: 'pw', uid: '1000', gid: '50', mode: 0o400 });
    expect(parseSecretFlag('--secret', 'src=tls')).toEqual({ secretName: 'tls', target: 'tls' });
  });

  it.each([
    ['target=x', 'source is required'],
    ['source=a,mode=999', 'mode must be an octal file mode'],
    ['source=a,uid=root', 'uid must be a number'],
    ['source=a,colour=blue', 'unknown key "colour"'],
  ])('refuses %s as a usage error (exit 2)', (raw, message) => {
    let caught: unknown;
    try {
      parseSecretFlag('--secret', raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).exitCode).toBe(2);
    expect((caught as CliError).message).toContain(`invalid argument "${raw}" for "--secret" flag: ${message}`);
  });

  it('--secret-rm by name or target, --secret-add replaces a reference of the same name', () => {
    const now = [ref('a'), ref('b', 'bee'), ref('c')];
    const next = updatedSecrets(now, ['source=c,target=sea', 'd'], ['a', 'bee']);
    expect(next.map((r) => [r.secretName, r.target])).toEqual([
      ['c', 'sea'],
      ['d', 'd'],
    ]);
    expect(next[0]!.secretId).toBe(''); // the daemon resolves it again
  });
});

describe('secret output', () => {
  const s = Secret.fromPartial({ id: 'abc123', meta: { createdAt: 1_000, updatedAt: 61_000 }, spec: { annotations: { name: 'db_pass', labels: { env: 'prod' } } }, size: 7 });

  it('ls: ID NAME DRIVER CREATED UPDATED, -q only ids', () => {
    const out = formatSecretList([s], {}, 121_000);
    expect(out.split('\n')[0]).toMatch(/^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED$/);
    expect(out).toContain('db_pass');
    expect(out).toContain('2 minutes ago');
    expect(out).toContain('About a minute ago');
    expect(formatSecretList([s], { quiet: true }, 0)).toBe('abc123\n');
  });

  it('inspect --pretty shows size and labels, never a value', () => {
    const out = formatSecretPretty(s);
    expect(out).toContain('db_pass');
    expect(out).toContain('7 bytes');
    expect(out).toContain('env');
  });

  it('create refuses an empty value and more than 500 KB before sending anything', () => {
    expect(() => secretSpecFromInput('x', [], Buffer.alloc(0))).toThrow('secret data must not be empty');
    expect(() => secretSpecFromInput('x', [], Buffer.alloc(500 * 1024 + 1))).toThrow('more than the 512000 bytes (500 KB) allowed');
  });
});

describe('service inspect --pretty secrets', () => {
  it('lists target and source of each secret, nothing without secrets', async () => {
    const { formatServicePretty } = await import('../src/commands/service.js');
    const { ServiceView } = await import('@flotilla/api');
    const view = ServiceView.fromPartial({
      service: { id: 's1', spec: { annotations: { name: 'web' }, task: { container: { image: 'img', secrets: [{ secretId: 'x', secretName: 'db_pass', target: 'pw' }] } } } },
    });
    const out = formatServicePretty(view);
    expect(out).toMatch(/ Secrets:?\s*\n\s+Target:?\s+pw\n\s+Source:?\s+db_pass\n/);
    const none = formatServicePretty(ServiceView.fromPartial({ service: { id: 's2', spec: { annotations: { name: 'x' }, task: { container: { image: 'img' } } } } }));
    expect(none).not.toContain('Secrets');
  });
});
