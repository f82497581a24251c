// A throwaway PKI for tests, made with the openssl CLI: a CA, a server
// certificate for 127.0.0.1/localhost, and client certificates with chosen
// subjects. It deliberately does not use @flotilla/ca: ca's own tests use
// testkit, and a dependency back would be a cycle.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClientCertSpec {
  /** Key of the result in TestPki.clients, and base name of the files. */
  name: string;
  cn: string;
  ou?: string;
  o?: string;
}

export interface CertFiles {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate. */
  cert: string;
  /** PEM text of the private key. */
  key: string;
}

export interface ClientCert extends CertFiles {
  name: string;
  /** The subject as nats-server's verify_and_map sees it: "CN=..,OU=..,O=..". */
  dn: string;
}

export interface TestPki {
  dir: string;
  ca: CertFiles;
  /** Certificate for the server hosts (default 127.0.0.1, localhost), usable for serverAuth and clientAuth (NATS routes). */
  server: CertFiles;
  clients: Record<string, ClientCert>;
  /** Issues one more client certificate from the same CA. */
  issueClient(spec: ClientCertSpec): Promise<ClientCert>;
  /** Issues another server certificate (same hosts and usages as `server`, its own key), e.g. for a second route peer. */
  issueServer(name: string): Promise<CertFiles>;
}

export interface TestPkiOptions {
  clients?: ClientCertSpec[];
  /** Names in the server certificate (IPs or DNS names); default 127.0.0.1 and localhost. */
  serverHosts?: string[];
  /** Validity in days (default 2). */
  days?: number;
}

export class OpensslMissingError extends Error {
  constructor(cause: unknown) {
    super(
      `makeTestPki needs the openssl CLI on PATH (apt-get install -y openssl): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'OpensslMissingError';
  }
}

const SUBJECT_VALUE = /^[A-Za-z0-9_:@-](?:[A-Za-z0-9 _:@-]*[A-Za-z0-9_:@-])?$/;

export async function makeTestPki(dir: string, opts: TestPkiOptions = {}): Promise<TestPki> {
  try {
    await run('openssl', ['version']);
  } catch (err) {
    throw new OpensslMissingError(err);
  }
  const days = String(opts.days ?? 2);
  const serverHosts = opts.serverHosts ?? ['127.0.0.1', 'localhost'];
  for (const h of serverHosts) {
    if (!/^[A-Za-z0-9.:-]+$/.test(h)) throw new Error(`makeTestPki: server host ${JSON.stringify(h)} is not an IP or DNS name`);
  }
  await mkdir(dir, { recursive: true });
  const caKeyFile = join(dir, 'ca.key');
  const caCertFile = join(dir, 'ca.crt');
  await openssl([
    'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', caKeyFile, '-out', caCertFile, '-days', days, '-sha256',
    '-subj', `/O=flotilla-test/CN=flotilla test CA ${randomBytes(4).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const ca = await readPair(caCertFile, caKeyFile);

  const issue = async (base: string, subject: string, extensions: string): Promise<CertFiles> => {
    const keyFile = join(dir, `${base}.key`);
    const csrFile = join(dir, `${base}.csr`);
    const certFile = join(dir, `${base}.crt`);
    const extFile = join(dir, `${base}.ext`);
    await writeFile(extFile, extensions);
    await openssl([
      'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-keyout', keyFile, '-out', csrFile, '-subj', subject,
    ]);
    await openssl([
      'x509', '-req', '-in', csrFile, '-CA', caCertFile, '-CAkey', caKeyFile,
      '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', days, '-sha256',
      '-extfile', extFile, '-out', certFile,
    ]);
    return readPair(certFile, keyFile);
  };

  const issueServer = async (name: string): Promise<CertFiles> => {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`server certificate name ${JSON.stringify(name)} must be a plain file name`);
    return issue(
      name,
      '/O=flotilla-test/CN=localhost',
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=${serverHosts.map((h) => (isIp(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`,
        '',
      ].join('\n'),
    );
  };
  const server = await issueServer('server');

  const issueClient = async (spec: ClientCertSpec): Promise<ClientCert> => {
    for (const [what, value] of [['cn', spec.cn], ['ou', spec.ou], ['o', spec.o]] as const) {
      if (value !== undefined && !SUBJECT_VALUE.test(value)) {
        throw new Error(`client certificate ${spec.name}: ${what} ${JSON.stringify(value)} must match ${SUBJECT_VALUE}`);
      }
    }
    if (!/^[A-Za-z0-9_-]+$/.test(spec.name)) {
      throw new Error(`client certificate name ${JSON.stringify(spec.name)} must be a plain file name`);
    }
    // Written most-general first, as X.509 subjects are; nats-server prints them reversed.
    const parts: string[] = [];
    if (spec.o !== undefined) parts.push(`/O=${spec.o}`);
    if (spec.ou !== undefined) parts.push(`/OU=${spec.ou}`);
    parts.push(`/CN=${spec.cn}`);
    const files = await issue(
      `client-${spec.name}`,
      parts.join(''),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=clientAuth',
        '',
      ].join('\n'),
    );
    const cert: ClientCert = { ...files, name: spec.name, dn: distinguishedName(spec) };
    pki.clients[spec.name] = cert;
    return cert;
  };

  const pki: TestPki = { dir, ca, server, clients: {}, issueClient, issueServer };
  for (const spec of opts.clients ?? []) await issueClient(spec);
  return pki;
}

/** The subject string nats-server matches users against for a certificate with these fields. */
export function distinguishedName(spec: { cn: string; ou?: string; o?: string }): string {
  const parts = [`CN=${spec.cn}`];
  if (spec.ou !== undefined) parts.push(`OU=${spec.ou}`);
  if (spec.o !== undefined) parts.push(`O=${spec.o}`);
  return parts.join(',');
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}

async function readPair(certFile: string, keyFile: string): Promise<CertFiles> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certFile, keyFile, cert, key };
}
