// Names and addresses of a test-host run: pure, so the limits (15-char
// interface names, one /24) are checked in one place before anything is made.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Run ids are exactly this long so names can be parsed back without ambiguity. */
export const RUN_ID_LENGTH = 6;
export const DEFAULT_PREFIX = 'flt';
export const MAX_HOSTS = 200;
/** Linux IFNAMSIZ minus the terminating NUL. */
const MAX_IFNAME = 15;
const RUN_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const RUN_ID_PATTERN = `[a-z0-9]{${RUN_ID_LENGTH}}`;

/** Third octets of the 198.18.k.0/24 subnets a run may take; 0 first, others only while another live run holds 0. */
export const SUBNET_OCTETS: readonly number[] = Array.from({ length: 256 }, (_, k) => k);
export const SUBNET_PREFIX_LEN = 24;

export function bridgeAddr(subnet: number): string {
  return `198.18.${subnet}.1`;
}
/** The interface name of a host's link to the bridge, inside its namespace. */
export const HOST_IFNAME = 'eth0';

export interface RunNames {
  prefix: string;
  runId: string;
  /** e.g. `flt-ab12cd`; also the iptables comment that marks the run's root-namespace rule. */
  tag: string;
  bridge: string;
  /** Exec roots of the engines live here; short because containerd's socket path is limited. */
  runDir: string;
  /** Data roots, logs, image tarball. */
  tmpDir: string;
  /** Written first and removed last: a run whose owner file is gone or dead is a leftover. */
  ownerFile: string;
}

export interface HostNames {
  index: number;
  name: string;
  netns: string;
  /** The root-namespace end of the host's veth pair. */
  veth: string;
  addr: string;
  dockerBip: string;
  dir: string;
  execRoot: string;
}

/**
 * Exactly three letters: with one length for every prefix, no name of one
 * prefix can parse as a name of another (`flt`+`xabcde`+`h1` vs `fltx`+...),
 * so sweeping one prefix never touches another's things.
 */
export function validatePrefix(prefix: string): void {
  if (!/^[a-z]{3}$/.test(prefix)) {
    throw new Error(`test-host prefix must be exactly 3 lowercase letters, got ${JSON.stringify(prefix)}`);
  }
}

export function validateHostCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new Error(`test-host count must be an integer from 1 to ${MAX_HOSTS}, got ${String(count)}`);
  }
}

export function newRunId(): string {
  const bytes = randomBytes(RUN_ID_LENGTH);
  let id = '';
  for (const b of bytes) id += RUN_ID_ALPHABET[b % RUN_ID_ALPHABET.length];
  return id;
}

export function runNames(prefix: string, runId: string, tmpRoot = tmpdir()): RunNames {
  validatePrefix(prefix);
  if (!new RegExp(`^${RUN_ID_PATTERN}$`).test(runId)) throw new Error(`bad test-host run id ${JSON.stringify(runId)}`);
  const tag = `${prefix}-${runId}`;
  return {
    prefix,
    runId,
    tag,
    bridge: `${prefix}${runId}br`,
    runDir: `/run/${tag}`,
    tmpDir: join(tmpRoot, tag),
    ownerFile: `/run/${tag}.owner`,
  };
}

export function hostNames(run: RunNames, subnet: number, index: number): HostNames {
  validateHostCount(index);
  const veth = `${run.prefix}${run.runId}h${index}`;
  if (veth.length > MAX_IFNAME) throw new Error(`interface name ${veth} is longer than ${MAX_IFNAME} chars`);
  return {
    index,
    name: `h${index}`,
    netns: `${run.tag}-h${index}`,
    veth,
    addr: `198.18.${subnet}.${10 + index}`,
    dockerBip: `172.30.${index}.1/24`,
    dir: join(run.tmpDir, `h${index}`),
    execRoot: join(run.runDir, `h${index}`),
  };
}

/** The file whose exclusive creation gives a run the subnet 198.18.k.0/24 in the root namespace. */
export function subnetClaimFile(prefix: string, subnet: number): string {
  return `/run/${prefix}-subnet-${subnet}`;
}

export type LeftoverKind = 'netns' | 'link' | 'runDir' | 'tmpDir' | 'owner';

/**
 * The run id a name belongs to, if it is a name this harness makes with
 * `prefix`; undefined for anything else, so sweeping never touches others' things.
 */
export function runIdOf(kind: LeftoverKind, name: string, prefix: string): string | undefined {
  validatePrefix(prefix);
  const patterns: Record<LeftoverKind, RegExp> = {
    netns: new RegExp(`^${prefix}-(${RUN_ID_PATTERN})-h\\d{1,3}$`),
    link: new RegExp(`^${prefix}(${RUN_ID_PATTERN})(?:br|h\\d{1,3})$`),
    runDir: new RegExp(`^${prefix}-(${RUN_ID_PATTERN})$`),
    tmpDir: new RegExp(`^${prefix}-(${RUN_ID_PATTERN})$`),
    owner: new RegExp(`^${prefix}-(${RUN_ID_PATTERN})\\.owner$`),
  };
  return patterns[kind].exec(name)?.[1];
}
