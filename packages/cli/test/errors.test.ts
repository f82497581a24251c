import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { controlCallError } from '../src/errors.js';

// grpc-js ServiceErrors built by hand: EACCES cannot be produced for real here (the tests
// run as root, which any socket mode lets in).
const serviceError = (code: status, details: string) =>
  Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });

describe('controlCallError', () => {
  const host = 'unix:///var/run/flotilla.sock';

  it('explains a permission problem on the socket', () => {
    const err = serviceError(status.UNAVAILABLE, 'No connection established. Last error: connect EACCES /var/run/flotilla.sock');
    expect(controlCallError(err, host, 'Info', 10_000).message).toBe(
      'permission denied connecting to flotillad at unix:///var/run/flotilla.sock: the socket is 0600, run as its owner (root)',
    );
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
});
