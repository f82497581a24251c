export { parseDaemonArgs, DEFAULT_CONTROL_SOCKET, DEFAULT_DATA_DIR, DEFAULT_DOCKER_HOST } from './config.js';
export type { DaemonConfig, ParseContext, ParseOutcome } from './config.js';
export { ConfigError, LOG_LEVELS, MAX_SOCKET_PATH_BYTES } from './config-values.js';
export type { DockerHost, LogLevel } from './config-values.js';
export { startDaemon } from './daemon.js';
export type { RunningDaemon } from './daemon.js';
export { lockDataDir, DataDirInUseError, LOCK_FILE_NAME } from './data-dir-lock.js';
export { serveOnControlSocket, SocketInUseError } from './control-socket.js';
