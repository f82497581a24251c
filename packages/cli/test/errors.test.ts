import { DAEMON_STATUS_TRAILER } from '@flotilla/api';
import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { controlCallError } from '../src/errors.js';

// grpc-js ServiceErrors built by hand, to pin the wording of each mapping; the EACCES case is
// also produced for real in apps/flotillad/test/daemon-and-cli.test.ts (CLI run as nobody).
const serviceError = (code: status, details: string) =>
  Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });

describe('controlCallError', () => {
  const host = 'unix:///var/run/flotilla.sock';

  it('explains a permission problem on the socket', () => {
    const err = serviceError(status.UNAVAILABLE, 'No connection established. Last error: connect EACCES /var/run/flotilla.sock');
    expect(controlCallError(err, host, 'Info', 10_000).message).toBe(
      'permission denied connecting to flotillad at unix:///var/run/flotilla.sock: run as the user that owns the socket (usually root)',
    );
  });

  it('shows the daemon’s own UNAVAILABLE answer (no Raft leader), not "is it running?"', () => {
    const answered = serviceError(status.UNAVAILABLE, 'this manager cannot reach a Raft leader (no leader known; gave up after 5s): its view may be stale; try another manager');
    answered.metadata.set(DAEMON_STATUS_TRAILER, '1');
    expect(controlCallError(answered, host, 'ListServices', 10_000).message).toBe(answered.details);
    // Without the daemon's trailer it is a call that never reached flotillad.
    const unreached = serviceError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED');
    expect(controlCallError(unreached, host, 'ListServices', 10_000).message).toBe('cannot connect to flotillad at unix:///var/run/flotilla.sock: is it running?');
  });

  it('names the deadline when the daemon does not answer', () => {
    expect(controlCallError(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), host, 'Info', 10_000).message).toBe(
      'flotillad at unix:///var/run/flotilla.sock did not answer Info within 10s',
    );
  });

  it('passes the daemon’s own explanation through for other failures', () => {
    const err = controlCallError(serviceError(status.INTERNAL, 'cannot read /var/lib/flotilla: EIO'), host, 'Info', 10_000);
    expect(err.message).toBe('flotillad could not answer Info: cannot read /var/lib/flotilla: EIO');
    expect(err.exitCode).toBe(1);
  });

  it('says a tcp:// manager refused the caller, in one line with its reason', () => {
    const tcp = 'tcp://10.0.0.1:2377';
    const denied = serviceError(status.PERMISSION_DENIED, 'flotilla.Control/ListServices is for flotilla-manager certificates only; node n1 presented a flotilla-worker certificate');
    expect(controlCallError(denied, tcp, 'ListServices', 10_000).message).toBe(
      'permission denied by flotillad at tcp://10.0.0.1:2377: flotilla.Control/ListServices is for flotilla-manager certificates only; node n1 presented a flotilla-worker certificate',
    );
    const unauthenticated = serviceError(status.UNAUTHENTICATED, 'a client certificate is required for the control API');
    expect(controlCallError(unauthenticated, tcp, 'ListServices', 10_000).message).toBe(
      'flotillad at tcp://10.0.0.1:2377 did not accept this client: a client certificate is required for the control API',
    );
    const tls = serviceError(status.UNAVAILABLE, 'No connection established. Last error: self-signed certificate in certificate chain');
    expect(controlCallError(tls, tcp, 'ListServices', 10_000).message).toBe(
      'cannot connect to flotillad at tcp://10.0.0.1:2377: No connection established. Last error: self-signed certificate in certificate chain',
    );
  });
});
