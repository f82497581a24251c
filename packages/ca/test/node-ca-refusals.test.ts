// Refused calls on the managers' port are counted by cause and summed up in the log: a stranger
// calling in a loop costs a line per interval, not a line per call.
import { NodeRole } from '@flotilla/api';
import { createLogger } from '@flotilla/bus';
import { logLines, waitFor } from '@flotilla/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { CaError } from '../src/errors.js';
import { getJoinTokens } from '../src/grpc/node-ca-client.js';
import { startNodeCaServer, type RunningNodeCaServer } from '../src/grpc/node-ca-server.js';
import { createJoinTokens } from '../src/join-token.js';
import { issueLocalNodeCredentials } from '../src/local-issue.js';
import { createRootCa } from '../src/root-ca.js';

const clusterId = 'cluster-refusals-test';

describe('refusals on the node CA port', () => {
  let running: RunningNodeCaServer | undefined;
  afterAll(async () => {
    await running?.stop();
  });

  it('are counted by cause and logged once, then summed up', async () => {
    const { destination, lines } = logLines();
    const rootCa = createRootCa({ clusterId });
    const tokens = createJoinTokens(rootCa.digest);
    const worker = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_WORKER, addresses: ['127.0.0.1'] });
    const removed = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });
    const manager = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER, addresses: ['127.0.0.1'] });
    running = await startNodeCaServer({
      state: {
        clusterId,
        rootCa: () => rootCa,
        joinTokens: () => tokens,
        nodeCertExpiryMs: () => undefined,
        deniedNodeIds: () => [removed.nodeId],
        currentRole: () => undefined,
        onNodeJoined: () => undefined,
        onNodeRenewed: () => undefined,
      },
      identity: manager,
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ component: 'test', nodeId: manager.nodeId, destination }),
    });
    const addr = `127.0.0.1:${running.port}`;
    const refusedWith = async (credentials: typeof worker): Promise<string> => {
      try {
        await getJoinTokens({ addr, credentials });
      } catch (err) {
        return (err as CaError).code;
      }
      return 'answered';
    };
    for (let i = 0; i < 6; i++) expect(await refusedWith(worker)).toBe('permission-denied');
    for (let i = 0; i < 3; i++) expect(await refusedWith(removed)).toBe('node-denied');
    expect(await refusedWith(manager)).toBe('answered');
    expect(running.refused()).toEqual([
      { cause: 'node-denied', count: 3 },
      { cause: 'permission-denied', count: 6 },
    ]);
    await new Promise((r) => setImmediate(r));
    const refusalLines = lines.filter((l) => String(l.msg).startsWith('node CA: refused'));
    expect(refusalLines.map((l) => l.cause)).toEqual(['permission-denied', 'node-denied']);
    expect(refusalLines[0]).toMatchObject({ component: 'ca', from: '127.0.0.1', refused: 1 });
    expect(lines.filter((l) => /refused/i.test(String(l.msg)))).toHaveLength(2);
    // stop() writes the summary of the rest.
    await running.stop();
    running = undefined;
    await waitFor(() => lines.some((l) => /^node CA: refused 5 calls in the last \d+ s \(cause=permission-denied, from 1 address, e.g. 127\.0\.0\.1\)$/.test(String(l.msg))), { what: 'the summary line' });
  });
});
