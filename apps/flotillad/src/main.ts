#!/usr/bin/env node
import { hostname } from 'node:os';
import { parseDaemonArgs } from './config.js';
import { SocketInUseError } from './control-socket.js';
import { startDaemon } from './daemon.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { daemonLogger } from './logger.js';
import { daemonVersion } from './version.js';

const version = daemonVersion();
const parsed = parseDaemonArgs(process.argv.slice(2), { cwd: process.cwd(), hostname: hostname(), env: process.env, version });
if (parsed.kind === 'exit') {
  process.stdout.write(parsed.stdout);
  process.stderr.write(parsed.stderr);
  process.exit(parsed.code);
}

const { config } = parsed;
const log = daemonLogger(config.logLevel, config.nodeName);
try {
  const daemon = await startDaemon(config, version, log);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    log.info({ signal }, 'stopping');
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  // An expected refusal needs no stack trace; anything else keeps it for the bug report.
  const expected = err instanceof DataDirInUseError || err instanceof SocketInUseError;
  log.fatal(
    { ...(expected ? { error: message } : { err }), dataDir: config.dataDir, controlSocket: config.controlSocket },
    'flotillad failed to start',
  );
  process.stderr.write(`flotillad: ${message}\n`);
  process.exit(1);
}
