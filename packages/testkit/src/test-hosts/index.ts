export { createTestHosts } from './test-hosts.js';
export { DEFAULT_TEST_IMAGES, type CreateTestHostsOptions, type HostExecOptions, type TestHost, type TestHosts } from './types.js';
export { listRuns, sweepLeftovers, type RunInfo, type SweepResult } from './sweep.js';
export { CommandError, type CommandResult } from './commands.js';
