/**
 * gRPC trailer flotillad puts on every error status it answers a Control call with. A client
 * sees UNAVAILABLE both when it never reached the daemon and when the daemon answered "I cannot
 * reach a Raft leader"; only the second carries this trailer, and its details are the message.
 */
export const DAEMON_STATUS_TRAILER = 'flotilla-daemon-status';
