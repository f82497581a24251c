import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateUserName, clusterSubjects, NATS_LIMITS, NatsConfigError, renderNatsConfig, workerPermissions, type NatsServerConfig } from '../src/index.js';
import { parseNatsLogLine } from '../src/nats-server/server-log.js';
import { makeTestPki, tempDir, type TempDir } from './support/fixtures.js';

const K1 = 'a'.repeat(64);
const K2 = 'b'.repeat(64);

const base: NatsServerConfig = {
  serverName: 'm1',
  host: '127.0.0.1',
  port: 4222,
  tls: { caFile: '/pki/ca.crt', certFile: '/pki/server.crt', keyFile: '/pki/server.key' },
  users: [{ user: 'CN=m1,OU=flotilla-manager,O=c1' }],
};

describe('renderNatsConfig', () => {
  it('always requires mutual TLS and maps users from certificates', () => {
    const text = renderNatsConfig(base);
    expect(text).toContain('port: 4222');
    expect(text).toMatch(/tls \{\n {2}cert_file: "\/pki\/server\.crt"\n {2}key_file: "\/pki\/server\.key"\n {2}ca_file: "\/pki\/ca\.crt"\n {2}timeout: 2\n {2}verify: true\n {2}verify_and_map: true\n\}/);
    expect(text).toContain('{ user: "CN=m1,OU=flotilla-manager,O=c1" }');
    expect(text).not.toContain('http');
    expect(text).not.toContain('cluster');
  });

  it('writes permissions, with an empty allow list meaning nothing', () => {
    const text = renderNatsConfig({
      ...base,
      users: [
        { user: 'CN=n1', permissions: workerPermissions(clusterSubjects('c1'), 'n1') },
        { user: 'CN=n2', permissions: { publish: { allow: [] }, subscribe: { allow: ['a.>'], deny: ['a.b'] } } },
      ],
    });
    expect(text).toContain(
      '{ user: "CN=n1", permissions: { publish: { allow: ["flt.c1.dispatcher.*.n1", "flt.c1.logs.n1.*"] }, subscribe: { allow: ["flt.c1.node.n1.>"] }, allow_responses: true } }',
    );
    expect(text).toContain('{ user: "CN=n2", permissions: { publish: { allow: [] }, subscribe: { allow: ["a.>"], deny: ["a.b"] } } }');
  });

  it('puts monitoring on loopback and routes under mutual TLS', () => {
    const text = renderNatsConfig({
      ...base,
      monitor: { host: '127.0.0.1', port: 8222 },
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 6222, routes: ['nats-route://127.0.0.12:6222'], pinnedKeys: [K1, K2] },
    });
    expect(text).toContain('http: "127.0.0.1:8222"');
    expect(text).toContain('routes: ["nats-route://127.0.0.12:6222"]');
    expect(text).toMatch(/cluster \{[\s\S]*tls \{[\s\S]*verify: true\n {4}pinned_certs: \["a{64}", "b{64}"\]\n {2}\}\n\}/);
  });

  it('sets every limit explicitly, defaults from NATS_LIMITS, and renders no leafnode or gateway listener', () => {
    const text = renderNatsConfig({ ...base, monitor: { host: '127.0.0.1', port: 8222 }, cluster: { name: 'flt-c1', host: '127.0.0.1', port: 6222, routes: [], pinnedKeys: [K1] } });
    expect(text).toContain(`max_payload: ${NATS_LIMITS.maxPayloadBytes}\n`);
    expect(text).toContain(`max_pending: ${NATS_LIMITS.maxPendingBytes}\n`);
    expect(text).toContain(`max_connections: ${NATS_LIMITS.maxConnections}\n`);
    expect(text).toContain(`write_deadline: "${NATS_LIMITS.writeDeadlineSec}s"\n`);
    expect(text).toContain(`ping_interval: "${NATS_LIMITS.pingIntervalSec}s"\n`);
    expect(text).toContain(`ping_max: ${NATS_LIMITS.pingMax}\n`);
    expect(text).not.toMatch(/leaf|gateway/i);
    expect(renderNatsConfig({ ...base, limits: { pingIntervalSec: 1, maxConnections: 5 } })).toMatch(/max_connections: 5\n[\s\S]*ping_interval: "1s"\n/);
  });

  it.each<[string, Partial<NatsServerConfig>, string]>([
    ['no users', { users: [] }, 'at least one user is required'],
    ['a duplicate user', { users: [{ user: 'CN=a' }, { user: 'CN=a' }] }, 'user "CN=a" is listed twice'],
    ['port 0', { port: 0 }, 'port must be an integer from 1 to 65535, got 0'],
    ['monitoring off loopback', { monitor: { host: '0.0.0.0', port: 8222 } }, 'monitor host "0.0.0.0" must be a loopback address'],
    ['an empty ca file', { tls: { caFile: '', certFile: 'c', keyFile: 'k' } }, 'tls.caFile must not be empty'],
    [
      'a bad route',
      { cluster: { name: 'x', host: '127.0.0.1', port: 6222, routes: ['127.0.0.1:6222'], pinnedKeys: [K1] } },
      'route "127.0.0.1:6222" must look like nats-route://host:port',
    ],
    [
      'a cluster that pins no key',
      { cluster: { name: 'x', host: '127.0.0.1', port: 6222, routes: [], pinnedKeys: [] } },
      'cluster.pinnedKeys must name at least one key',
    ],
    [
      'a pinned key that is not a sha256',
      { cluster: { name: 'x', host: '127.0.0.1', port: 6222, routes: [], pinnedKeys: [K1, 'AB'.repeat(32)] } },
      `pinned route key "${'AB'.repeat(32)}" must be 64 lowercase hex characters`,
    ],
    [
      'a pinned key that would break out of its string',
      { cluster: { name: 'x', host: '127.0.0.1', port: 6222, routes: [], pinnedKeys: ['a"] }\nleafnodes {'] } },
      'must be 64 lowercase hex characters',
    ],
    ['a zero limit', { limits: { maxConnections: 0 } }, 'limit maxConnections must be a positive whole number, got 0'],
    ['a payload above the pending limit', { limits: { maxPayloadBytes: 2048, maxPendingBytes: 1024 } }, 'must not exceed maxPendingBytes'],
    [
      'a bad permission subject',
      { users: [{ user: 'CN=a', permissions: { publish: { allow: ['a..b'] } } }] },
      'CN=a publish permission subject "a..b" is not a valid subject',
    ],
  ])('refuses %s', (_what, patch, message) => {
    expect(() => renderNatsConfig({ ...base, ...patch })).toThrow(NatsConfigError);
    expect(() => renderNatsConfig({ ...base, ...patch })).toThrow(message);
  });
});

describe('rendered config is accepted by the real nats-server', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('passes nats-server -t', async () => {
    // -t parses the file and loads the TLS files, so it needs real ones.
    const pki = await makeTestPki(join(dir.path, 'pki'));
    const file = join(dir.path, 'nats.conf');
    await writeFile(
      file,
      renderNatsConfig({
        ...base,
        tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile },
        monitor: { host: '127.0.0.1', port: 8222 },
        cluster: { name: 'flt-c1', host: '127.0.0.1', port: 6222, routes: ['nats-route://127.0.0.1:6223'], pinnedKeys: [K1, K2] },
        users: [
          { user: 'CN=m1,OU=flotilla-manager,O=c1', permissions: { publish: { allow: ['flt.c1.>'] }, subscribe: { allow: ['flt.c1.>'] }, allowResponses: true } },
          { user: 'CN=n1,OU=flotilla-worker,O=c1', permissions: workerPermissions(clusterSubjects('c1'), 'n1') },
        ],
      }),
    );
    const { stderr, stdout } = await promisify(execFile)('nats-server', ['-c', file, '-t']);
    expect(`${stdout}${stderr}`).toContain('is valid');
  });
});

describe('certificateUserName', () => {
  it.each([
    [{ cn: 'node1', ou: 'flotilla-worker', o: 'c1' }, 'CN=node1,OU=flotilla-worker,O=c1'],
    [{ cn: 'node1' }, 'CN=node1'],
    [{ cn: 'a,b+c', o: 'x;y' }, 'CN=a\\,b\\+c,O=x\\;y'],
    [{ cn: ' lead', ou: 'trail ', o: '#hash' }, 'CN=\\ lead,OU=trail\\ ,O=\\#hash'],
    [{ cn: 'in side', o: 'a#b' }, 'CN=in side,O=a#b'],
    [{ cn: 'q"\\<>' }, 'CN=q\\"\\\\\\<\\>'],
  ])('%j -> %s', (subject, name) => {
    expect(certificateUserName(subject)).toBe(name);
  });
});

describe('parseNatsLogLine', () => {
  it.each([
    ['[13218] 2026/11/25 19:20:48.467411 [INF] Server is ready', 'info', 'Server is ready'],
    ['[1] 2026/11/25 19:20:50.123186 [ERR] 127.0.0.1:48158 - cid:4 - Publish Violation', 'error', '127.0.0.1:48158 - cid:4 - Publish Violation'],
    ['[1] 2026/11/25 19:20:50.123186 [WRN] slow', 'warn', 'slow'],
    ['[1] 2026/11/25 19:20:50.123186 [FTL] dead', 'fatal', 'dead'],
    ['something else', 'info', 'something else'],
  ])('%s', (line, level, message) => {
    expect(parseNatsLogLine(line)).toEqual({ level, message });
  });
});
