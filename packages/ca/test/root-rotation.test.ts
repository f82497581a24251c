import { once } from 'node:events';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { NodeRole } from '@flotilla/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRootCa,
  crossSignRootCa,
  isCrossSignedBy,
  issuedChain,
  issueLocalNodeCredentials,
  rotationProgress,
  trustBundle,
  type NodeCredentials,
} from '../src/index.js';

const CLUSTER = 'clusterrot';
const oldRoot = createRootCa({ clusterId: CLUSTER });
const newRoot = createRootCa({ clusterId: CLUSTER });
const cross = crossSignRootCa(oldRoot, newRoot);
const issue = (root: typeof oldRoot): NodeCredentials => issueLocalNodeCredentials({ rootCa: root, clusterId: CLUSTER, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });

// A node as it is at some point of the rotation: the certificate chain it presents, what it trusts.
interface Peer {
  chain: string;
  key: string;
  trust: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Mutual TLS handshake over real sockets on 127.0.0.1: ok, or the side that refused and why. */
async function handshake(server: Peer, client: Peer): Promise<string> {
  const srv = createServer({ cert: server.chain, key: server.key, ca: server.trust, requestCert: true, rejectUnauthorized: true }, (s) => s.end('hello'));
  servers.push(srv);
  const serverErrors: string[] = [];
  srv.on('tlsClientError', (err) => serverErrors.push(err.message));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, cert: client.chain, key: client.key, ca: client.trust, servername: 'flotilla-manager', checkServerIdentity: () => undefined });
  // With TLS 1.3 the client may finish its side before the server has judged the client's
  // certificate: the answer is either the server's greeting or the connection ending.
  const outcome = await new Promise<string>((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString() === 'hello' ? 'ok' : 'no data'));
    socket.once('error', (err) => resolve(`client refused: ${err.message}`));
    socket.once('close', () => resolve('closed'));
  });
  socket.destroy();
  if (outcome !== 'closed' && !outcome.startsWith('client refused') ) return outcome;
  await new Promise((r) => setTimeout(r, 50)); // let the server's error event land
  return serverErrors.length > 0 ? `server refused: ${serverErrors[0]}` : outcome;
}

describe('root CA rotation by cross-signing (real TLS handshakes)', () => {
  const oldNode = issue(oldRoot);
  const movedNode = issue(newRoot);
  const laterNode = issue(newRoot);
  const onOld: Peer = { chain: oldNode.certPem, key: oldNode.keyPem, trust: oldRoot.certPem };
  const migrating: Peer = { chain: issuedChain('migrating', movedNode.certPem, cross), key: movedNode.keyPem, trust: trustBundle('migrating', oldRoot.certPem, newRoot.certPem) };
  const afterDrop: Peer = { chain: issuedChain('done', laterNode.certPem, cross), key: laterNode.keyPem, trust: trustBundle('done', oldRoot.certPem, newRoot.certPem) };

  it('the cross-signed certificate carries the new key and is signed by the old root', () => {
    expect(isCrossSignedBy(cross, oldRoot.certPem, newRoot.certPem)).toBe(true);
    expect(isCrossSignedBy(cross, newRoot.certPem, oldRoot.certPem)).toBe(false);
    expect(() => crossSignRootCa(oldRoot, oldRoot)).toThrow('the new root is the old one');
  });

  it('while migrating, a node still on the old root and a moved node talk both ways', async () => {
    expect(await handshake(onOld, migrating)).toBe('ok');
    expect(await handshake(migrating, onOld)).toBe('ok');
    expect(await handshake(migrating, migrating)).toBe('ok');
  });

  it('without the cross-signed certificate, a node on the old root refuses a new-root certificate (the test can fail)', async () => {
    const bare: Peer = { ...migrating, chain: movedNode.certPem };
    expect(await handshake(onOld, bare)).toMatch(/refused/);
  });

  it('after the old root is dropped, moved nodes talk and an old-root certificate is refused', async () => {
    expect(await handshake(afterDrop, migrating)).toBe('ok');
    expect(await handshake(afterDrop, onOld)).toMatch(/refused/);
  });
});

describe('rotation progress', () => {
  const nodes = [
    { nodeId: 'b', issuerDigest: 'old' },
    { nodeId: 'a', issuerDigest: 'new' },
    { nodeId: 'c', issuerDigest: '' },
  ];

  it('counts the nodes still to move and the phase', () => {
    expect(rotationProgress(nodes, 'new', false)).toEqual({ phase: 'migrating', total: 3, moved: 1, pending: ['b', 'c'] });
    const all = nodes.map((n) => ({ ...n, issuerDigest: 'new' }));
    expect(rotationProgress(all, 'new', false).phase).toBe('dropping-old-root');
    expect(rotationProgress(all, 'new', true).phase).toBe('done');
  });

  it('trusts both roots only while migrating and sends the cross-signed certificate only then', () => {
    expect(trustBundle('migrating', 'OLD\n', 'NEW\n')).toBe('NEW\nOLD\n');
    expect(trustBundle('done', 'OLD\n', 'NEW\n')).toBe('NEW\n');
    expect(issuedChain('migrating', 'LEAF\n', 'X\n')).toBe('LEAF\nX\n');
    expect(issuedChain('dropping-old-root', 'LEAF\n', 'X\n')).toBe('LEAF\n');
  });
});
