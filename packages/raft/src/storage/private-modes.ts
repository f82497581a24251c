// The Raft log holds the whole desired state (the CA key, join tokens, sealed secrets): only the
// daemon's user may read it, whatever the process umask says.
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
