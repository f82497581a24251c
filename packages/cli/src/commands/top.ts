import type { ClusterEvent, NodeView, ServiceView } from '@flotilla/api';
import { NodeState } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { formatEvent } from './events.js';
import { formatNodeList } from './node.js';
import { formatServiceList } from './service.js';

/** What one screen of `flotilla top` shows. */
export interface TopSnapshot {
  readonly nodes: readonly NodeView[];
  readonly services: readonly ServiceView[];
  /** Newest last. */
  readonly events: readonly ClusterEvent[];
  readonly atMs: number;
}

const EVENTS_KEPT = 200;
// Redraw at most this often: a burst of store changes (a 100-replica scale) is one redraw.
const REDRAW_MS = 100;

function clip(line: string, cols: number): string {
  return line.length > cols ? `${line.slice(0, Math.max(0, cols - 1))}…` : line;
}

function headline(s: TopSnapshot): string {
  const ready = s.nodes.filter((n) => n.node?.status?.state === NodeState.NODE_STATE_READY).length;
  const running = s.services.reduce((sum, v) => sum + v.runningTasks, 0);
  const desired = s.services.reduce((sum, v) => sum + v.desiredTasks, 0);
  const time = new Date(s.atMs).toISOString().slice(11, 19);
  return `flotilla top  ${time}  nodes ${ready}/${s.nodes.length} ready  services ${s.services.length}  tasks ${running}/${desired} running`;
}

/**
 * One screen: a headline, `node ls`, `service ls` and the newest events that fit, each line
 * clipped to the width and the whole to the height (events give way first). Pure.
 */
export function renderTop(s: TopSnapshot, rows: number, cols: number, footer = ''): string[] {
  const lines = [headline(s), ''];
  lines.push('NODES', ...formatNodeList(s.nodes).trimEnd().split('\n'), '');
  lines.push('SERVICES', ...(s.services.length ? formatServiceList(s.services).trimEnd().split('\n') : ['(none)']), '');
  const room = rows - lines.length - 1 - (footer ? 1 : 0);
  if (room > 0) {
    lines.push('EVENTS (newest first)');
    const newest = [...s.events].reverse().slice(0, room - 1);
    lines.push(...(newest.length ? newest.map((e) => formatEvent(e).trimEnd()) : ['(none since top started)']));
  }
  const screen = lines.slice(0, rows - (footer ? 1 : 0));
  if (footer) screen.push(footer);
  return screen.map((l) => clip(l, cols));
}

async function snapshot(api: ReturnType<CommandContext['connect']>, events: readonly ClusterEvent[]): Promise<TopSnapshot> {
  const [nodes, services] = await Promise.all([api.listNodes(), api.listServices()]);
  return { nodes: nodes.nodes, services: services.services, events, atMs: Date.now() };
}

/**
 * `flotilla top`: nodes, services and recent events, redrawn from the store's event stream;
 * `q` or Ctrl-C quits. Without a terminal (a pipe, a script) it prints one snapshot.
 */
export async function topCommand(ctx: CommandContext): Promise<void> {
  const api = ctx.connect();
  const terminal = ctx.terminal;
  try {
    if (!terminal) {
      const s = await snapshot(api, []);
      ctx.out(`${renderTop(s, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).join('\n')}\n`);
      return;
    }
    const events: ClusterEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    let drawing = false;
    let again = false;
    const draw = async (): Promise<void> => {
      if (drawing) {
        again = true;
        return;
      }
      drawing = true;
      try {
        const s = await snapshot(api, events);
        const { rows, cols } = terminal.size();
        // Home and clear, then the screen: no scrolling, no flicker of a full clear first.
        ctx.out(`\x1b[H${renderTop(s, rows, cols, 'q: quit').map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`);
      } finally {
        drawing = false;
        if (again) {
          again = false;
          schedule();
        }
      }
    };
    const schedule = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        draw().catch((err: unknown) => failure.reject(err));
      }, REDRAW_MS);
    };
    let quit!: () => void;
    const failure: { reject: (err: unknown) => void } = { reject: () => {} };
    const ended = new Promise<void>((resolve, reject) => {
      quit = resolve;
      failure.reject = reject;
    });
    ctx.out('\x1b[?1049h\x1b[?25l'); // the alternate screen, cursor hidden: the shell's screen comes back on quit
    const releaseKeys = terminal.keys((key) => {
      if (key === 'q' || key === 'Q' || key === '\x03') quit();
    });
    const offResize = terminal.onResize(schedule);
    const stream = api.events({ types: [], actions: [], sinceUnixMs: 0, untilUnixMs: 0 }, (m) => {
      if (!m.event) return;
      events.push(m.event);
      if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
      schedule();
    });
    stream.done.then(
      () => failure.reject(new Error('the event stream ended (the daemon stopped?)')),
      (err: unknown) => failure.reject(err),
    );
    try {
      await draw();
      await ended;
    } finally {
      clearTimeout(timer);
      offResize();
      releaseKeys();
      stream.cancel();
      ctx.out('\x1b[?25h\x1b[?1049l');
    }
  } finally {
    api.close();
  }
}
