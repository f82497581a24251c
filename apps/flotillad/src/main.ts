#!/usr/bin/env -S node --max-semi-space-size=1
import { hostname } from 'node:os';
import { parseDaemonArgs } from './config.js';
import { SocketInUseError } from './control-socket.js';
import { startDaemon } from './daemon.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { DaemonFatal } from './fatal.js';
import { runUntilSignalled } from './lifecycle.js';
import { daemonLogger } from './logger.js';
import { findOnPath, NATS_SERVER_MISSING } from './nats-server-check.js';
import { DAEMON_NODE_FLAGS, missingNodeFlags } from './node-flags.js';
import { daemonVersion } from './version.js';
import { runServiceMain } from './services/service-main.js';

const version = daemonVersion();
// `flotillad service <name> …` (issue 16): one manager service as its own process; no daemon.
if (process.argv[2] === 'service') await runServiceMain(process.argv.slice(3));
const parsed = parseDaemonArgs(process.argv.slice(2), { cwd: process.cwd(), hostname: hostname(), env: process.env, version });
if (parsed.kind === 'exit') {
  process.stdout.write(parsed.stdout);
  process.stderr.write(parsed.stderr);
  process.exit(parsed.code);
}

// Checked before anything starts: a manager cannot run without it, and learning that at
// `swarm init` (or at a promotion, months later) is worse than one line now.
if (findOnPath('nats-server', process.env['PATH']) === undefined) {
  process.stderr.write(`${NATS_SERVER_MISSING}\n`);
  process.exit(1);
}

const { config } = parsed;
const log = daemonLogger(config.logLevel, config.nodeName);
const missing = missingNodeFlags(process.execArgv);
if (missing.length > 0) {
  log.warn({ missing, wanted: DAEMON_NODE_FLAGS }, 'flotillad started without its Node.js flags (bin/flotillad passes them): memory under a flood of gossip packets is less bounded');
}
try {
  await runUntilSignalled(() => startDaemon(config, version, log), log);
  // Explicit: idle keep-alive sockets (e.g. to the Docker Engine) must not hold the process.
  process.exit(0);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof DaemonFatal) {
    // Logged once already (lifecycle); the supervisor restarts the daemon.
    process.stderr.write(`flotillad: ${message}\n`);
    process.exit(1);
  }
  // An expected refusal needs no stack trace; anything else keeps it for the bug report.
  const expected = err instanceof DataDirInUseError || err instanceof SocketInUseError;
  log.fatal(
    { ...(expected ? { error: message } : { err }), dataDir: config.dataDir, controlSocket: config.controlSocket },
    'flotillad failed to start',
  );
  process.stderr.write(`flotillad: ${message}\n`);
  process.exit(1);
}
