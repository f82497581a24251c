import { createHash, X509Certificate } from 'node:crypto';
import type { RootCaView } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';

export interface SwarmCaOptions {
  rotate?: boolean;
  detach?: boolean;
  quiet?: boolean;
}

/** How often `swarm ca --rotate` asks how far the rotation is. */
export const ROTATION_POLL_MS = 500;
const BAR_WIDTH = 40;

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(BAR_WIDTH - filled)}]`;
}

/** PEM as docker prints it: LF line ends (the CA writes CRLF). */
function pemText(pem: string): string {
  return `${pem.replace(/\r\n/g, '\n').trimEnd()}\n`;
}

function rootDigest(pem: string): string {
  return `sha256:${createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')}`;
}

/** docker's rotation progress: the root being rolled out, then nodes holding its certificates and nodes trusting it alone. Pure. */
export function rotationProgressLines(v: RootCaView): string[] {
  const lines = [
    `desired root digest: ${v.desiredRootCaCertificate !== '' ? rootDigest(v.desiredRootCaCertificate) : rootDigest(v.rootCaCertificate)}`,
    `  rotated TLS certificates:  ${bar(v.tlsMoved, v.total)} ${v.tlsMoved}/${v.total} nodes`,
    `  rotated CA certificates:   ${bar(v.caMoved, v.total)} ${v.caMoved}/${v.total} nodes`,
  ];
  if (v.rotating && v.pending.length > 0) lines.push(`  waiting for: ${v.pending.join(', ')}`);
  return lines;
}

/** A terminal's redraw of the progress block: up to where the last one began, each line cleared, and whatever the last one had below. Pure. */
export function redrawBlock(previousLines: number, lines: readonly string[]): string {
  return `${previousLines > 0 ? `\x1b[${previousLines}F` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}\x1b[J`;
}

/**
 * `swarm ca`: prints the root CA certificate. `--rotate` starts a rotation to a new root; without
 * `--detach` it shows the progress until every node has moved and then prints the new root.
 * A rotation already under way is refused by the manager (it says how to watch it).
 */
export async function swarmCaCommand(ctx: CommandContext, opts: SwarmCaOptions, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  if (opts.detach && !opts.rotate) throw new CliError('--detach only goes with --rotate', 2);
  const api = ctx.connect();
  try {
    if (!opts.rotate) {
      ctx.out(pemText((await api.getRootCa()).rootCaCertificate));
      return;
    }
    let view = await api.rotateRootCa();
    if (opts.detach) {
      if (!opts.quiet) ctx.out('Root CA rotation started: the swarm moves to the new root in the background ("flotilla swarm ca" prints the root in use).\n');
      return;
    }
    let shown: string[] = [];
    for (;;) {
      const lines = rotationProgressLines(view);
      if (!opts.quiet && lines.join('\n') !== shown.join('\n')) {
        // A terminal redraws the block in place (like docker); a pipe gets each new state in full.
        ctx.out(ctx.tty ? redrawBlock(shown.length, lines) : `${lines.join('\n')}\n`);
        shown = lines;
      }
      if (!view.rotating) break;
      await sleep(ROTATION_POLL_MS);
      view = await api.getRootCa();
    }
    ctx.out(pemText(view.rootCaCertificate));
  } finally {
    api.close();
  }
}
