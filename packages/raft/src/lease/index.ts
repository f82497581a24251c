export { DEFAULT_LEASE_DURATION_MS, LEADER_TIED_DURATION_MS, decideLease, holdDeadlineMs, nextHolder, observe, released, renewal, type LeaseDecision, type LeaseInput, type Observed } from './lease-logic.js';
export { LeaseRunner, fencedStoreAccess, type LeaseRunnerOptions, type LeaseRunnerStatus } from './lease-runner.js';
