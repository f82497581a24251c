// A full disk is not fatal: a real member on a real, small tmpfs (mounted here; the tests run as
// root) refuses writes with a clear error while the disk is full, loses nothing it acknowledged,
// keeps its log readable, and carries on by itself once space returns. Any other write error is:
// the member stops for good and tells its onFatal listeners.
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillDisk, makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { Network } from '@flotilla/api';
import { RaftMember } from '../../src/member/member.js';
import { isRaftMemberError } from '../../src/member/errors.js';
import { Wal } from '../../src/storage/wal.js';
import { TransactionBuilder } from '../../src/store/transaction.js';

const run = promisify(execFile);
let tmp: TempDir;
let nats: TestNats;
let mnt: string;
let mounted = false;

beforeAll(async () => {
  tmp = await tempDir('flotilla-raft-diskfull-');
  nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
  mnt = join(tmp.path, 'small-disk');
  await mkdir(mnt);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  mounted = true;
});

afterAll(async () => {
  await nats?.stop();
  if (mounted) await run('umount', ['-l', mnt]);
  await tmp?.cleanup();
});

/** A network with some padding, so a few hundred writes use real space. */
function tx(n: string): Uint8Array {
  return new TransactionBuilder(`tx-${n}`, 1_700_000_000_000)
    .create('network', Network.fromPartial({ id: `net-${n}`, spec: { annotations: { name: n, labels: { pad: 'p'.repeat(2_000) } } } }))
    .encode();
}

describe('a member whose disk fills up', () => {
  it('refuses writes with a clear error, keeps what it acknowledged, and resumes when space returns', async () => {
    const dataDir = join(mnt, 'member');
    const start = async (): Promise<RaftMember> => {
      const bus = await nats.connect('m1');
      const m = await RaftMember.start({
        id: 1,
        clusterId: 'diskfull',
        dataDir,
        nc: bus.nc,
        bootstrap: [1],
        tickMs: 20,
        nodeId: 'node-a',
        // Segments roll over and snapshots are attempted while the disk is full, too.
        snapshotEvery: 40,
        keepEntriesAfterSnapshot: 5,
        noSpaceRetryMs: 100,
        wal: { segmentBytes: 32 * 1024, compactionTail: 5 },
      });
      await waitFor(() => m.isLeader, { what: 'the member to lead' });
      return m;
    };
    let m = await start();
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      await m.propose(tx(`before-${i}`));
      acked.push(`before-${i}`);
    }

    const heard: Error[] = [];
    m.onWriteRefusal((refusal) => heard.push(refusal));
    const filler = await fillDisk(mnt);
    // The write that finds the disk full waits in the log; the member notices and refuses new ones.
    const stuck = m.propose(tx('while-full'), 30_000);
    await waitFor(() => m.writeRefusal !== undefined, { what: 'the member to notice the full disk' });
    // Its listeners hear of it once, with the refusal.
    expect(heard).toEqual([m.writeRefusal]);
    const refused = await m.propose(tx('refused')).catch((e: unknown) => e);
    expect(isRaftMemberError(refused, 'NO_SPACE')).toBe(true);
    expect((refused as Error).message).toBe(`no space left on device under ${dataDir} on manager node-a: write refused`);
    expect(m.failed).toBeUndefined();
    // A read barrier cannot be confirmed while the Ready is held: it says so at once.
    const read = await m.readBarrier().catch((e: unknown) => e);
    expect(isRaftMemberError(read, 'NO_SPACE')).toBe(true);

    await unlink(filler);
    const applied = await stuck;
    expect(applied.result?.ok).toBe(true);
    acked.push('while-full');
    await waitFor(() => m.writeRefusal === undefined, { what: 'writes to resume' });
    // Enough further writes for a snapshot and a segment rollover after the disk was full.
    for (let i = 0; i < 60; i++) {
      await m.propose(tx(`after-${i}`));
      acked.push(`after-${i}`);
    }
    await waitFor(() => m.stats.snapshotsTaken > 0, { what: 'a snapshot once there is space' });
    expect(m.failed).toBeUndefined();
    expect(m.store.view().get('network', 'net-refused')).toBeUndefined();
    await m.stop();

    // The log on disk opens cleanly (no torn record was left) and holds every acknowledged write.
    const reopened = await Wal.open(dataDir);
    await reopened.wal.close();
    m = await start();
    await m.readBarrier();
    const view = m.store.view();
    expect(acked.filter((n) => view.get('network', `net-${n}`) === undefined)).toEqual([]);
    expect(view.get('network', 'net-refused')).toBeUndefined();
    await m.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
});

describe('a member whose data dir fails', () => {
  it('stops for good on a write error that is not a full disk and calls onFatal once', async () => {
    const dataDir = join(tmp.path, 'fatal');
    const bus = await nats.connect('m1');
    const m = await RaftMember.start({ id: 1, clusterId: 'fatal', dataDir, nc: bus.nc, bootstrap: [1], tickMs: 20, snapshotEvery: 10 });
    await waitFor(() => m.isLeader, { what: 'the member to lead' });
    const fatal: Error[] = [];
    m.onFatal((err) => fatal.push(err));
    // The snapshot directory is replaced by a file: the next snapshot cannot be written (ENOTDIR).
    await rename(join(dataDir, 'snap'), join(dataDir, 'snap.kept'));
    await writeFile(join(dataDir, 'snap'), 'not a directory');
    for (let i = 0; i < 30 && m.failed === undefined; i++) await m.propose(tx(`f-${i}`)).catch(() => undefined);
    await waitFor(() => fatal.length > 0, { what: 'onFatal' });
    expect(fatal).toHaveLength(1);
    expect((fatal[0] as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(m.failed).toBe(fatal[0]);
    const after = await m.propose(tx('after')).catch((e: unknown) => e);
    expect(isRaftMemberError(after, 'FAILED')).toBe(true);
    // A listener added afterwards hears of it too.
    const late = await new Promise<Error>((resolve) => m.onFatal(resolve));
    expect(late).toBe(fatal[0]);
    await m.stop();
  });
});

