// Test fixtures of the bus package. The PKI, waitFor and tempDir come from
// testkit's sources by path: testkit depends on bus, so a package dependency
// back would be a cycle. Only testkit modules that do not import bus are used.
import { createHash, createPublicKey } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { createLogger, NatsServerSupervisor, type Logger, type NatsUser } from '../../src/index.js';
import type { ClientCert, TestPki } from '../../../testkit/src/pki.js';
import { logLines } from '../../../testkit/src/log-lines.js';

export { makeTestPki, type TestPki, type ClientCert } from '../../../testkit/src/pki.js';
export { waitFor } from '../../../testkit/src/wait.js';
export { tempDir, type TempDir } from '../../../testkit/src/temp.js';
export { logLines, type LogLines } from '../../../testkit/src/log-lines.js';

export function tlsOf(pki: TestPki, client: ClientCert): { ca: string; cert: string; key: string } {
  return { ca: pki.ca.cert, cert: client.cert, key: client.key };
}

export function serverTls(pki: TestPki): { caFile: string; certFile: string; keyFile: string } {
  return { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile };
}

export async function startSupervised(
  pki: TestPki,
  configDir: string,
  users: NatsUser[],
  extra: Partial<ConstructorParameters<typeof NatsServerSupervisor>[0]> = {},
): Promise<NatsServerSupervisor> {
  const sup = new NatsServerSupervisor({
    configDir,
    serverName: 'test',
    host: '127.0.0.1',
    port: 0,
    tls: serverTls(pki),
    users,
    stopGraceMs: 2_000,
    ...extra,
  });
  await sup.start();
  return sup;
}

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/**
 * Speaks the NATS handshake by hand (INFO in clear, then TLS, then CONNECT +
 * PING) so a refusal shows up as the server's own answer (a TLS alert or
 * -ERR), not as a client-side timeout.
 */
export function probeTls(
  port: number,
  tls: { ca: string; cert?: string; key?: string },
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      raw.destroy();
      resolve(r);
    };
    const raw = netConnect({ host: '127.0.0.1', port });
    raw.once('error', (err) => finish({ ok: false, reason: err.message }));
    raw.once('data', () => {
      const s = tlsConnect({ socket: raw, servername: 'localhost', ...tls });
      let text = '';
      s.on('secureConnect', () => s.write('CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n'));
      s.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('PONG')) finish({ ok: true });
        else if (text.includes('-ERR')) finish({ ok: false, reason: text.trim() });
      });
      s.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: `${err.code ?? ''} ${err.message}` }));
      s.on('close', () => finish({ ok: false, reason: `connection closed${text ? `: ${text.trim()}` : ''}` }));
    });
  });
}

/** A debug-level logger whose messages (the `msg` of each line) land in `messages`; `lines` has them parsed. */
export function capturingLogger(): { logger: Logger; messages: string[]; lines: Array<Record<string, unknown>> } {
  const { destination, messages, lines } = logLines();
  return { logger: createLogger({ component: 'test', level: 'debug', destination }), messages, lines };
}

/** Hex sha256 of a certificate's DER SubjectPublicKeyInfo: what nats-server's pinned_certs lists. */
export function keySha256(certPem: string): string {
  return createHash('sha256').update(createPublicKey(certPem).export({ type: 'spki', format: 'der' })).digest('hex');
}
