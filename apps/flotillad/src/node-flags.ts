// The Node.js flags flotillad runs with (bin/flotillad, the first line of src/main.ts, which the
// npm package's bundled bin keeps, every test and bench that starts it).
//
// --max-semi-space-size=1: V8's young generation at 1 MB per semi-space instead of Node's 16.
// Under a flood of datagrams on the gossip port each one is a Buffer whose memory is freed only
// when a scavenge collects it, and scavenges follow the JS heap, not that memory: with 16 MB
// semi-spaces tens of MB of refused datagrams waited for their scavenge (a manager's RSS rose
// 16-51 MB in the 30 s flood test), with 1 MB they are collected every few hundred kB of
// allocation (7-14 MB). Allocation-heavy work pays a little more GC time for it.
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The flags missing from `execArgv` (the daemon says so at start when it was launched without them). */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  return DAEMON_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
