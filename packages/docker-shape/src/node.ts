// swarm.Node of the Docker Engine API, from Flotilla's NodeView: what `node inspect` prints.
import { X509Certificate } from 'node:crypto';
import { NodeAvailability, NodeRole, NodeState, ReachabilityState, type NodeView } from '@flotilla/api';
import { goMap, objectHeader, opt } from './go-values.js';
import type { Json } from './service.js';

export const nodeRoleWord = (r: NodeRole): string => (r === NodeRole.NODE_ROLE_MANAGER ? 'manager' : 'worker');
export const availabilityWord = (a: NodeAvailability): string => a.replace(/^NODE_AVAILABILITY_/, '').toLowerCase();
export const nodeStateWord = (s: NodeState): string => s.replace(/^NODE_STATE_/, '').toLowerCase();

/** swarm.TLSInfo: the root CA the swarm trusts, and its subject and public key (DER, base64 in JSON). */
export interface TlsInfo {
  TrustRoot?: string;
  CertIssuerSubject?: Uint8Array;
  CertIssuerPublicKey?: Uint8Array;
}

/** Reads one DER TLV at `at`: where its contents start and end. */
function tlv(der: Uint8Array, at: number): { start: number; end: number; next: number } {
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return { start, end: start + len, next: start + len };
}

/** The subject Name (DER) of a certificate: tbsCertificate's sixth field (after version, serial, signature, issuer, validity). */
function subjectDer(der: Uint8Array): Uint8Array {
  const cert = tlv(der, 0);
  const tbs = tlv(der, cert.start);
  let at = tbs.start;
  if (der[at] === 0xa0) at = tlv(der, at).next; // [0] version
  for (let i = 0; i < 4; i++) at = tlv(der, at).next; // serial, signature, issuer, validity
  return der.subarray(at, tlv(der, at).next);
}

/** TLSInfo from the swarm's root CA certificate, as docker reports it for every node. */
export function tlsInfoFromRootPem(pem: string): TlsInfo {
  const cert = new X509Certificate(pem);
  return {
    TrustRoot: pem.endsWith('\n') ? pem : `${pem}\n`,
    CertIssuerSubject: subjectDer(cert.raw),
    CertIssuerPublicKey: cert.publicKey.export({ type: 'spki', format: 'der' }),
  };
}

const REACHABILITY: Record<ReachabilityState, string> = {
  [ReachabilityState.REACHABILITY_UNKNOWN]: 'unknown',
  [ReachabilityState.REACHABILITY_UNREACHABLE]: 'unreachable',
  [ReachabilityState.REACHABILITY_REACHABLE]: 'reachable',
  [ReachabilityState.UNRECOGNIZED]: '',
};

/** swarm.Node; `tls` is the swarm's TLSInfo (the same for every node). */
export function dockerNode(v: NodeView, tls: TlsInfo = {}): Json {
  const n = v.node!;
  const d = n.description;
  const manager = n.role === NodeRole.NODE_ROLE_MANAGER;
  return {
    ...objectHeader(n.id, n.meta),
    Spec: {
      ...opt('Name', n.spec?.annotations?.name ?? ''),
      Labels: goMap(n.spec?.annotations?.labels),
      Role: nodeRoleWord(n.spec?.desiredRole ?? NodeRole.NODE_ROLE_WORKER),
      Availability: availabilityWord(n.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE),
    },
    Description: {
      ...opt('Hostname', d?.hostname ?? ''),
      Platform: { ...opt('Architecture', d?.platform?.architecture ?? ''), ...opt('OS', d?.platform?.os ?? '') },
      Resources: { ...opt('NanoCPUs', d?.resources?.nanoCpus ?? 0), ...opt('MemoryBytes', d?.resources?.memoryBytes ?? 0) },
      Engine: {
        ...opt('EngineVersion', d?.engine?.engineVersion ?? ''),
        ...opt('Labels', goMap(d?.engine?.labels)),
        ...opt('Plugins', (d?.engine?.plugins ?? []).map((p) => ({ Type: p.includes('/') ? p.slice(0, p.indexOf('/')) : 'Volume', Name: p.includes('/') ? p.slice(p.indexOf('/') + 1) : p }))),
      },
      TLSInfo: { ...opt('TrustRoot', tls.TrustRoot ?? ''), ...(tls.CertIssuerSubject ? { CertIssuerSubject: tls.CertIssuerSubject } : {}), ...(tls.CertIssuerPublicKey ? { CertIssuerPublicKey: tls.CertIssuerPublicKey } : {}) },
    },
    Status: {
      ...opt('State', nodeStateWord(n.status?.state ?? NodeState.NODE_STATE_UNKNOWN)),
      ...opt('Message', n.status?.message ?? ''),
      ...opt('Addr', n.status?.addr ?? ''),
    },
    ...(manager
      ? {
          ManagerStatus: {
            ...opt('Leader', v.leader),
            Reachability: v.reachable || v.leader ? 'reachable' : REACHABILITY[n.managerStatus?.reachability ?? ReachabilityState.REACHABILITY_UNREACHABLE] || 'unreachable',
            ...opt('Addr', n.managerStatus?.addr ?? ''),
          },
        }
      : {}),
  };
}
