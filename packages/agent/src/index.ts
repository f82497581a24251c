export * from './executor/labels.js';
export { containerName, containerCreateOptions, stopGraceMs, DEFAULT_STOP_GRACE_MS } from './executor/container-config.js';
export { DockerExecutor, TaskError, dockerFromHost, type ExitResult } from './executor/docker-executor.js';
