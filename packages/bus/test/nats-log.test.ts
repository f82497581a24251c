import { describe, expect, it } from 'vitest';
import { classifyNatsLine, parseNatsLogLine } from '../src/index.js';

const at = (raw: string) => classifyNatsLine(parseNatsLogLine(`[6033] 2026/12/07 20:51:46.990301 ${raw}`));

// Lines as nats-server 2.9.10 writes them (seen in the supervisor test and in its sources).
describe('classifyNatsLine: what a remote party can make nats-server write', () => {
  it('sorts refusals by cause, with the address they came from', () => {
    expect(at("[ERR] 127.0.0.1:55042 - cid:6 - TLS handshake error: tls: client didn't provide a certificate")).toEqual({
      kind: 'refusal',
      cause: 'tls-handshake',
      from: '127.0.0.1',
      detail: "TLS handshake error: tls: client didn't provide a certificate",
    });
    expect(at('[ERR] 10.0.0.7:44134 - rid:9 - TLS route handshake error: tls: first record does not look like a TLS handshake')).toMatchObject({ cause: 'route-tls-handshake', from: '10.0.0.7' });
    expect(at('[ERR] 10.0.0.7:44134 - rid:9 - TLS route handshake error: certificate not pinned')).toMatchObject({ cause: 'route-not-pinned' });
    expect(at('[ERR] 10.0.0.7:44134 - cid:9 - TLS handshake error: certificate not pinned')).toMatchObject({ cause: 'not-pinned' });
    expect(at('[ERR] [::1]:55046 - cid:8 - authentication error - User ""')).toMatchObject({ cause: 'auth', from: '::1' });
    expect(at('[ERR] 127.0.0.1:1 - cid:8 - Authorization Violation')).toMatchObject({ cause: 'auth' });
    expect(at('[ERR] 127.0.0.1:1 - cid:8 - maximum connections exceeded')).toMatchObject({ cause: 'max-connections' });
    expect(at('[ERR] 127.0.0.1:1 - cid:8 - Maximum Payload Violation')).toMatchObject({ cause: 'max-payload' });
    expect(at('[ERR] 127.0.0.1:1 - cid:8 - Client parser ERROR, state=0, i=0: proto=\'"GARBAGE"...\'')).toMatchObject({ cause: 'parse-error' });
  });

  it('closed connections and other per-connection errors are events (summed up, not refusals)', () => {
    expect(at('[INF] 127.0.0.1:44134 - rid:9 - Router connection closed: TLS Handshake Failure')).toMatchObject({ kind: 'event', cause: 'closed-tls-handshake-failure' });
    expect(at('[INF] 127.0.0.1:44134 - rid:9 - Router connection closed: something new')).toMatchObject({ kind: 'event', cause: 'closed-other' });
    expect(at('[ERR] 127.0.0.1:6222 - rid:3 - Error trying to connect to route (attempt 5): dial tcp: refused')).toMatchObject({ kind: 'event', cause: 'error' });
  });

  it('leaves the server\'s own news alone', () => {
    expect(at('[INF] 127.0.0.1:44134 - rid:9 - Route connection created')).toBeUndefined();
    expect(at('[INF] Server is ready')).toBeUndefined();
    expect(at('[ERR] Failed to reload server configuration: bad')).toBeUndefined();
  });
});
