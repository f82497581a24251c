import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NodeRole } from '@flotilla/api';

/**
 * What a node keeps in its data dir once it is part of a swarm: enough to come back after a
 * restart (even after SIGKILL) without `swarm init` or `swarm join` again.
 */
export interface SwarmState {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly role: NodeRole;
  /** Raft member id (managers only; 0 on workers). */
  readonly raftId: number;
  /** The address other nodes reach this one on (no port). */
  readonly advertiseHost: string;
  /** host:port of the join/CA listener (managers). */
  readonly listenAddr: string;
  /** NATS client and cluster ports actually bound, so a restart binds the same ones. */
  readonly natsPort: number;
  readonly natsClusterPort: number;
  /** NATS client URLs of the managers this node talks to. */
  readonly natsServers: readonly string[];
  /** Managers: NATS routes (nats-route://host:port) to the managers that were there when this one joined. */
  readonly natsRoutes?: readonly string[];
  /** Workers: the manager (host:port) they joined through. */
  readonly joinedVia?: string;
}

export interface SwarmFiles {
  readonly dir: string;
  readonly state: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
  readonly caCert: string;
  /** The root CA key: only on managers, 0600. */
  readonly caKey: string;
  readonly raftDir: string;
  readonly natsDir: string;
  readonly agentDir: string;
}

export function swarmFiles(dataDir: string): SwarmFiles {
  const dir = join(dataDir, 'swarm');
  return {
    dir,
    state: join(dir, 'state.json'),
    nodeCert: join(dir, 'certificates', 'node.crt'),
    nodeKey: join(dir, 'certificates', 'node.key'),
    caCert: join(dir, 'certificates', 'ca.crt'),
    caKey: join(dir, 'certificates', 'ca.key'),
    raftDir: join(dir, 'raft'),
    natsDir: join(dir, 'nats'),
    agentDir: join(dataDir, 'agent'),
  };
}

/** Writes a file whole (temp, fsync, rename) with the given mode, so a crash never leaves half of it. */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readSwarmState(files: SwarmFiles): Promise<SwarmState | undefined> {
  let text: string;
  try {
    text = await readFile(files.state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`reading swarm state ${files.state}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as SwarmState;
  } catch (err) {
    throw new Error(`swarm state ${files.state} is not valid JSON (${(err as Error).message}); move it away to leave the swarm`);
  }
}

/** The state file is written last: a node without it is not in a swarm, whatever else is on disk. */
export async function writeSwarmState(files: SwarmFiles, state: SwarmState): Promise<void> {
  await writeFileAtomic(files.state, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export interface NodePems {
  certPem: string;
  keyPem: string;
  caCertPem: string;
  caKeyPem?: string;
}

// Certificates are public, but the data dir's rule is one mode for every file (0600): a check
// that every file is private then needs no list of exceptions.
export async function writeNodePems(files: SwarmFiles, pems: NodePems): Promise<void> {
  await writeFileAtomic(files.caCert, pems.caCertPem, 0o600);
  await writeFileAtomic(files.nodeCert, pems.certPem, 0o600);
  await writeFileAtomic(files.nodeKey, pems.keyPem, 0o600);
  if (pems.caKeyPem) await writeFileAtomic(files.caKey, pems.caKeyPem, 0o600);
}

export async function readNodePems(files: SwarmFiles): Promise<NodePems> {
  const read = (p: string) => readFile(p, 'utf8');
  const caKeyPem = await read(files.caKey).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  return {
    certPem: await read(files.nodeCert),
    keyPem: await read(files.nodeKey),
    caCertPem: await read(files.caCert),
    ...(caKeyPem !== undefined ? { caKeyPem } : {}),
  };
}

/** Forgets the swarm: state first, so a crash midway leaves a node that is simply not in a swarm. */
export async function removeSwarmFiles(files: SwarmFiles): Promise<void> {
  await rm(files.state, { force: true });
  await rm(files.dir, { recursive: true, force: true });
  // The agent's assignments belong to the node id that is going away; a later init/join is a new node.
  await rm(files.agentDir, { recursive: true, force: true });
}
