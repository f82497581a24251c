import { X509Certificate } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startCertificateRenewal, type NodeCredentials } from '@flotilla/ca';
import type { Logger } from 'pino';
import { renewForRole } from './role-change.js';
import { writeFileAtomic, writeNodePems, type NodePems, type SwarmFiles, type SwarmState } from './swarm-state.js';

/**
 * Test/ops knob: renew this many ms after each certificate is issued instead of at a random point in
 * the last 50-20 % of its validity (a 1 h certificate, the shortest the cluster allows, would make an
 * end-to-end test wait half an hour). Unset in production.
 */
export const RENEW_AFTER_ENV = 'FLOTILLA_CERT_RENEW_AFTER_MS';

/** The knob's value: undefined when unset; a clear error for anything but a positive integer. Pure. */
export function renewAfterMsFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[RENEW_AFTER_ENV];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${RENEW_AFTER_ENV}=${raw}: expected a positive whole number of milliseconds`);
  return ms;
}

/**
 * Where a worker renews: the manager it joined through first, then every manager whose NATS server
 * it knows, on the same CA port (managers share their join/CA port, like Docker's 2377), so a
 * worker whose first manager is gone still renews. Pure.
 */
export function workerRenewalAddrs(state: Pick<SwarmState, 'joinedVia' | 'natsServers'>): string[] {
  const via = state.joinedVia ?? '';
  const port = /:(\d+)$/.exec(via)?.[1];
  const addrs = via !== '' ? [via] : [];
  if (port === undefined) return addrs;
  for (const url of state.natsServers) {
    const hostPort = url.replace(/^[a-z]+:\/\//, '');
    const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
    const addr = `${host}:${port}`;
    if (host !== '' && !addrs.includes(addr)) addrs.push(addr);
  }
  return addrs;
}

function pendingPath(files: SwarmFiles): string {
  return join(dirname(files.nodeCert), 'renewal-pending.json');
}

/**
 * Installs renewed files: the whole set is first written as one file (atomic), then the three
 * files one by one, then that one goes. A crash between the three writes (a certificate without
 * its key) is finished by `finishInterruptedRenewal` at the next start.
 */
export async function installRenewedCertificate(files: SwarmFiles, pems: NodePems): Promise<void> {
  const pending = pendingPath(files);
  await writeFileAtomic(pending, JSON.stringify({ certPem: pems.certPem, keyPem: pems.keyPem, caCertPem: pems.caCertPem }), 0o600);
  await writeNodePems(files, pems);
  await rm(pending, { force: true });
}

/** At a runtime's start: completes an installation a crash cut short. True when there was one. */
export async function finishInterruptedRenewal(files: SwarmFiles, log: Logger): Promise<boolean> {
  const pending = pendingPath(files);
  let text: string;
  try {
    text = await readFile(pending, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const pems = JSON.parse(text) as Partial<NodePems>;
  for (const field of ['certPem', 'keyPem', 'caCertPem'] as const) {
    if (typeof pems[field] !== 'string' || !pems[field].includes('-----BEGIN')) {
      throw new Error(`finishing an interrupted certificate renewal: ${pending} has no PEM ${field}; remove it if the node's certificate files are whole`);
    }
  }
  await writeNodePems(files, { certPem: pems.certPem!, keyPem: pems.keyPem!, caCertPem: pems.caCertPem! });
  await rm(pending, { force: true });
  log.warn({ pending }, 'finished a certificate renewal interrupted by a crash');
  return true;
}

export interface NodeCertRenewal {
  current(): NodeCredentials;
  /** Renews at once (a root CA rotation notice); concurrent calls share one renewal. */
  renewNow(): Promise<NodeCredentials>;
  /** Stops renewing; waits for a renewal being installed, so whoever owns the files next is alone. */
  stop(): Promise<void>;
}

export interface NodeCertRenewalOptions {
  files: SwarmFiles;
  state: SwarmState;
  /** Managers (host:port of their CA listener) to renew at, tried in order; asked at each renewal. */
  managerAddrs(): readonly string[];
  /** Swaps the new certificate into every live TLS user (NATS connections, servers). */
  applyTls(creds: NodeCredentials): Promise<void>;
  log: Logger;
  renewAfterMs?: number;
}

/**
 * Keeps this node's certificate fresh through the same renewal call a role change uses: the CA
 * re-issues the node's current role with the cluster's cert expiry; the new files are written
 * (each atomically) before any TLS user is switched, so a crash in between restarts on the new
 * certificate. A refusal (removed node, role changing) is logged and retried with backoff.
 */
export function startNodeCertRenewal(options: NodeCertRenewalOptions, current: NodeCredentials): NodeCertRenewal {
  const { files, state, log } = options;
  let stopped = false;
  let installing: Promise<void> = Promise.resolve();
  const renewer = startCertificateRenewal({
    current,
    renew: () => renewForRole(files, state, options.managerAddrs(), state.role),
    onRenewed: async (next) => {
      // A runtime stopping for a role change or leave owns the files from now on.
      if (stopped) throw new Error(`node ${state.nodeId} stopped while renewing its certificate; the new one is dropped`);
      const install = (async () => {
        await installRenewedCertificate(files, { certPem: next.certPem, keyPem: next.keyPem, caCertPem: next.caCertPem });
        await options.applyTls(next);
      })();
      installing = install.catch(() => undefined);
      await install;
      const cert = new X509Certificate(next.certPem);
      log.info({ nodeId: state.nodeId, serial: cert.serialNumber, notAfter: new Date(cert.validTo).toISOString(), role: next.role }, 'node certificate renewed');
    },
    onError: (err, attempt) => {
      if (!stopped) log.warn({ nodeId: state.nodeId, attempt, err: (err as Error).message }, 'renewing the node certificate failed; retrying');
    },
    ...(options.renewAfterMs !== undefined ? { renewAt: () => new Date(Date.now() + options.renewAfterMs!) } : {}),
  });
  const certificate = new X509Certificate(current.certPem);
  log.info({ nodeId: state.nodeId, notAfter: new Date(certificate.validTo).toISOString(), renewAfterMs: options.renewAfterMs }, 'certificate renewal scheduled');
  return {
    current: () => renewer.current(),
    renewNow: () => renewer.renewNow(),
    stop: async () => {
      stopped = true;
      renewer.stop();
      await installing;
    },
  };
}
