import { pino, type Logger } from 'pino';
import type { LogLevel } from './config-values.js';

/**
 * The daemon's root logger: JSON lines on stderr (stdout stays free for anything a
 * supervisor wants to parse). `nodeId` is empty until the node joins a swarm.
 */
export function daemonLogger(level: LogLevel, nodeName: string): Logger {
  return pino({ level, base: { component: 'flotillad', nodeId: '', nodeName, pid: process.pid } }, pino.destination(2));
}
