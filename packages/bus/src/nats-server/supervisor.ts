// Runs one local nats-server as a child process: writes its config, starts it,
// waits until it accepts connections, restarts it with backoff when it dies,
// reloads users/permissions and pinned route keys with SIGHUP, and stops it with its owner (and on
// process exit, so a crashed parent never leaves a server behind).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../log.js';
import { RefusalLog, type RefusalCount } from '../refusal-log.js';
import { renderNatsConfig, type NatsClusterConfig, type NatsLimits, type NatsServerConfig, type NatsTlsFiles, type NatsUser } from './config.js';
import { resolvePort } from './ports.js';
import { classifyNatsLine, lineSplitter, parseNatsLogLine, RELOAD_FAILED, RELOAD_OK, SERVER_READY, type NatsLogLine } from './server-log.js';

export interface NatsSupervisorOptions {
  /** Directory for the generated config file (created if missing). */
  configDir: string;
  serverName: string;
  /** Client listen address. */
  host: string;
  /** Client port; 0 picks a free one (kept across restarts). */
  port: number;
  /** HTTP monitoring on a loopback address; port 0 picks a free one. Off when absent. */
  monitor?: { host: string; port: number };
  /** Cluster routes; port 0 picks a free one. */
  cluster?: NatsClusterConfig;
  /** Defaults to NATS_LIMITS (tests may lower them). */
  limits?: Partial<NatsLimits>;
  tls: NatsTlsFiles;
  users: NatsUser[];
  /** Executable; default "nats-server" from PATH. */
  binary?: string;
  readyTimeoutMs?: number;
  restartInitialDelayMs?: number;
  restartMaxDelayMs?: number;
  /** A server that ran this long before dying is restarted after the initial delay again. */
  stableAfterMs?: number;
  /** Time between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
  reloadTimeoutMs?: number;
  logger?: Logger;
  /** Interval of the summaries of refused connections (default 30 s). */
  refusalLogIntervalMs?: number;
}

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

interface Running {
  child: ChildProcess;
  startedAt: number;
  exited: Promise<void>;
  exit?: { code: number | null; signal: NodeJS.Signals | null; error?: Error };
}

// One process 'exit' listener for all supervisors, instead of one each.
const live = new Set<NatsServerSupervisor>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) s.killNow();
  });
}

export class NatsServerSupervisor {
  private state: State = 'idle';
  private current: Running | undefined;
  private config: NatsServerConfig | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs: number;
  private restartCount = 0;
  private readonly lineListeners = new Set<(line: NatsLogLine, pid: number | undefined) => void>();
  private readonly stderrTail: string[] = [];
  private reloadQueue: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  /** Connections the server refused (TLS, authorization, caps): summed up, counted for `info`. */
  private readonly refusals: RefusalLog;
  /** Other per-connection lines (closed connections, errors): summed up, not counted as refusals. */
  private readonly connectionEvents: RefusalLog;
  readonly configFile: string;

  constructor(private readonly opts: NatsSupervisorOptions) {
    this.log = (opts.logger ?? silentLogger()).child({ natsServer: opts.serverName });
    const intervalMs = opts.refusalLogIntervalMs ? { intervalMs: opts.refusalLogIntervalMs } : {};
    this.refusals = new RefusalLog({ log: this.log, what: 'nats-server', noun: 'connections', ...intervalMs });
    this.connectionEvents = new RefusalLog({ log: this.log, what: 'nats-server', verb: 'saw', noun: ['connection closed', 'connections closed'], nouns: { error: 'connection errors' }, level: 'info', ...intervalMs });
    this.configFile = join(opts.configDir, 'nats-server.conf');
    this.restartDelayMs = opts.restartInitialDelayMs ?? 100;
  }

  /** Client URL, e.g. tls://127.0.0.1:4222 (after start). */
  get url(): string {
    return `tls://${this.opts.host}:${this.resolved().port}`;
  }

  get clientPort(): number {
    return this.resolved().port;
  }

  get clusterPort(): number | undefined {
    return this.config?.cluster?.port;
  }

  get monitorPort(): number | undefined {
    return this.config?.monitor?.port;
  }

  /** Pid of the running nats-server, if one runs. */
  get pid(): number | undefined {
    return this.current && !this.current.exit ? this.current.child.pid : undefined;
  }

  /** How many times the server was restarted after dying. */
  get restarts(): number {
    return this.restartCount;
  }

  /** True while a server runs that has accepted connections. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Connections the server refused since the supervisor was made, by cause (NatsRefusalCause). */
  refused(): RefusalCount[] {
    return this.refusals.counts();
  }

  get users(): readonly NatsUser[] {
    return this.config?.users ?? this.opts.users;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'stopped') {
      throw new Error(`starting nats-server ${this.opts.serverName}: already ${this.state}`);
    }
    this.state = 'starting';
    try {
      this.config = await this.resolveConfig();
      await mkdir(this.opts.configDir, { recursive: true, mode: 0o700 });
      await this.writeConfig(renderNatsConfig(this.config));
      live.add(this);
      installExitHook();
      await this.launch();
      if ((this.state as State) !== 'starting') throw new Error('stopped while starting');
    } catch (err) {
      const stopping = (this.state as State) === 'stopping';
      await this.killCurrent();
      live.delete(this);
      this.state = stopping ? 'stopped' : 'idle';
      throw new Error(`starting nats-server ${this.opts.serverName}: ${(err as Error).message}`, { cause: err });
    }
    this.state = 'running';
    this.log.info({ pid: this.pid, url: this.url }, 'nats-server running');
  }

  /** Stops the server: SIGTERM, then SIGKILL after the grace period. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') return;
    if (this.state === 'stopping') {
      await this.current?.exited;
      return;
    }
    this.state = 'stopping';
    clearTimeout(this.restartTimer);
    await this.killCurrent();
    live.delete(this);
    this.state = 'stopped';
    this.refusals.stop();
    this.connectionEvents.stop();
    this.log.info('nats-server stopped');
  }

  /** The public keys routes may present now (cluster.pinnedKeys as last applied); empty without a cluster. */
  get pinnedKeys(): readonly string[] {
    return (this.config?.cluster ?? this.opts.cluster)?.pinnedKeys ?? [];
  }

  /**
   * Replaces the users and their permissions, and (when given, for a server with a cluster) the
   * public keys routes may present, without restarting the server: rewrites the config and sends
   * SIGHUP, then waits for the server to confirm. nats-server re-checks open routes on reload and
   * drops those whose key is no longer pinned. Bad input throws before anything changes; a reload
   * the server refuses restores the previous config file and throws.
   */
  reload(users: NatsUser[], pinnedKeys?: string[]): Promise<void> {
    const run = this.reloadQueue.then(() => this.reloadNow(users, pinnedKeys));
    this.reloadQueue = run.catch(() => undefined);
    return run;
  }

  /** Sends SIGKILL at once; used on process exit, where nothing can wait. */
  killNow(): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private async reloadNow(users: NatsUser[], pinnedKeys: string[] | undefined): Promise<void> {
    const what = `reloading nats-server ${this.opts.serverName}`;
    if ((this.state !== 'running' && this.state !== 'restarting') || !this.config) {
      throw new Error(`${what}: server is ${this.state}, not running`);
    }
    if (pinnedKeys !== undefined && !this.config.cluster) throw new Error(`${what}: pinned route keys given to a server without a cluster`);
    const next: NatsServerConfig = { ...this.config, users };
    if (pinnedKeys !== undefined && this.config.cluster) next.cluster = { ...this.config.cluster, pinnedKeys: [...pinnedKeys] };
    const nextText = renderNatsConfig(next);
    const previousText = renderNatsConfig(this.config);
    await this.writeConfig(nextText);
    if (this.state === 'restarting' || !this.current || this.current.exit) {
      // The restart reads the new file. A server being launched right now may
      // have read the old one: SIGHUP makes it reload, or (if it has not set
      // up its handlers yet) kills it, and the next restart reads the new file.
      this.config = next;
      if (this.current && !this.current.exit) this.current.child.kill('SIGHUP');
      this.log.info({ users: users.length, pinnedKeys: next.cluster?.pinnedKeys.length }, 'nats-server configuration updated for the restart');
      return;
    }
    const outcome = this.nextLine(
      (l) => l.message.startsWith(RELOAD_OK) || l.message.startsWith(RELOAD_FAILED),
      this.opts.reloadTimeoutMs ?? 10_000,
    );
    this.current.child.kill('SIGHUP');
    let line: NatsLogLine;
    try {
      line = await outcome;
    } catch (err) {
      await this.writeConfig(previousText);
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    }
    if (line.message.startsWith(RELOAD_FAILED)) {
      await this.writeConfig(previousText);
      throw new Error(`${what}: ${line.message}`);
    }
    this.config = next;
    this.log.info({ users: users.length, pinnedKeys: next.cluster?.pinnedKeys.length }, 'nats-server configuration reloaded');
  }

  private resolved(): NatsServerConfig {
    if (!this.config) throw new Error(`nats-server ${this.opts.serverName} has not been started`);
    return this.config;
  }

  private async resolveConfig(): Promise<NatsServerConfig> {
    const o = this.opts;
    const cfg: NatsServerConfig = {
      serverName: o.serverName,
      host: o.host,
      port: await resolvePort(o.host, o.port),
      tls: o.tls,
      users: o.users,
      ...(o.limits ? { limits: o.limits } : {}),
    };
    if (o.monitor) cfg.monitor = { host: o.monitor.host, port: await resolvePort(o.monitor.host, o.monitor.port) };
    if (o.cluster) cfg.cluster = { ...o.cluster, port: await resolvePort(o.cluster.host, o.cluster.port) };
    return cfg;
  }

  // Written to a temporary file and renamed so nats-server never reads half a config.
  private async writeConfig(text: string): Promise<void> {
    const tmp = `${this.configFile}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.configFile);
  }

  private async launch(): Promise<void> {
    if (this.state !== 'starting' && this.state !== 'restarting') throw new Error('stopped while starting');
    const binary = this.opts.binary ?? 'nats-server';
    const child = spawn(binary, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let resolveExited!: () => void;
    const running: Running = {
      child,
      startedAt: Date.now(),
      exited: new Promise<void>((r) => (resolveExited = r)),
    };
    this.current = running;
    const onLine = (raw: string): void => this.onServerLine(raw, child.pid);
    child.stdout?.on('data', lineSplitter(onLine));
    child.stderr?.on('data', lineSplitter(onLine));
    child.once('error', (error) => {
      // Spawning failed (e.g. binary missing): no 'exit' follows.
      if (running.exit) return;
      running.exit = { code: null, signal: null, error };
      resolveExited();
      this.onExit(running);
    });
    child.once('exit', (code, signal) => {
      if (running.exit) return;
      running.exit = { code, signal };
      resolveExited();
      this.onExit(running);
    });
    await this.untilReady(running, binary);
  }

  // nats-server prints "Server is ready" once its client listener accepts
  // connections. Probing the port instead would make the server log a TLS
  // handshake error for every probe.
  private untilReady(running: Running, binary: string): Promise<void> {
    const timeoutMs = this.opts.readyTimeoutMs ?? 10_000;
    const cfg = this.resolved();
    const where = `${cfg.host}:${cfg.port}`;
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.lineListeners.delete(listener);
        if (err) reject(err);
        else resolve();
      };
      const listener = (line: NatsLogLine, pid: number | undefined): void => {
        if (pid === running.child.pid && line.message === SERVER_READY) finish();
      };
      const timer = setTimeout(
        () => finish(new Error(`nats-server on ${where} did not report ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.lineListeners.add(listener);
      void running.exited.then(() => {
        const exit = running.exit!;
        const why = this.state === 'stopping' ? 'stopped while starting' : `${binary} ${describeExit(exit)}`;
        finish(new Error(`nats-server on ${where} never became ready: ${why}; last output: ${this.stderrTail.join(' | ')}`));
      });
    });
  }

  private onServerLine(raw: string, pid: number | undefined): void {
    this.stderrTail.push(raw);
    if (this.stderrTail.length > 5) this.stderrTail.shift();
    const line = parseNatsLogLine(raw);
    // What a remote party can make the server write at will is summed up, not forwarded one for one.
    const about = classifyNatsLine(line);
    if (about?.kind === 'refusal') this.refusals.refuse(about.cause, about.from, about.detail);
    else if (about?.kind === 'event') this.connectionEvents.refuse(about.cause, about.from, about.detail);
    else this.log[line.level]({ pid }, line.message);
    for (const listener of [...this.lineListeners]) listener(line, pid);
  }

  private nextLine(match: (line: NatsLogLine) => boolean, timeoutMs: number): Promise<NatsLogLine> {
    return new Promise((resolve, reject) => {
      const listener = (line: NatsLogLine): void => {
        if (!match(line)) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no confirmation from the server within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.lineListeners.delete(listener);
      };
      this.lineListeners.add(listener);
    });
  }

  private onExit(running: Running): void {
    if (running !== this.current) return;
    const exit = running.exit!;
    if (this.state !== 'running' && this.state !== 'restarting') return;
    const ranMs = Date.now() - running.startedAt;
    if (ranMs >= (this.opts.stableAfterMs ?? 10_000)) this.restartDelayMs = this.opts.restartInitialDelayMs ?? 100;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, this.opts.restartMaxDelayMs ?? 5_000);
    this.state = 'restarting';
    this.log.warn(
      { pid: running.child.pid, code: exit.code, signal: exit.signal, err: exit.error, ranMs, delayMs, restarts: this.restartCount },
      'nats-server died; restarting it',
    );
    this.restartTimer = setTimeout(() => void this.restart(), delayMs);
  }

  private async restart(): Promise<void> {
    if (this.state !== 'restarting') return;
    this.restartCount++;
    try {
      await this.launch();
    } catch (err) {
      if (this.state !== 'restarting') return;
      this.log.error({ err, restarts: this.restartCount }, 'restarted nats-server did not come up');
      // A server that is alive but not accepting is killed; its exit schedules the next try.
      const cur = this.current;
      if (cur && !cur.exit) cur.child.kill('SIGKILL');
      return;
    }
    if (this.state !== 'restarting') return;
    this.state = 'running';
    this.log.info({ pid: this.pid, restarts: this.restartCount }, 'nats-server restarted');
  }

  private async killCurrent(): Promise<void> {
    const cur = this.current;
    if (!cur || cur.exit) return;
    cur.child.kill('SIGTERM');
    const grace = this.opts.stopGraceMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      cur.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.warn({ pid: cur.child.pid, graceMs: grace }, 'nats-server ignored SIGTERM; killing it');
      cur.child.kill('SIGKILL');
      await cur.exited;
    }
  }
}

function describeExit(exit: NonNullable<Running['exit']>): string {
  if (exit.error) return `could not be started: ${exit.error.message}`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
