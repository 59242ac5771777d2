/**
 * A corrupt replica (issue 8): `tidaldb follower` names the directory, the
 * file and the offset and gives the next step; `--rebuild` moves the replica
 * aside and rebuilds it from its leader over loopback TCP, through the
 * checkpoint bootstrap (the leader no longer holds the early segments).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowerDb, TidalDb } from '../../src/index.js';
import { runFollower } from '../../streams/cli/follower.js';
import { type ShipEvent, startLeader, TcpTransport } from '../../streams/index.js';
import { tempDir } from '../db/tempDirs.js';
import { captureIo } from './captureIo.js';
import { until } from '../support/until.js';

const TOKEN = 'cli-rebuild-token-0123';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});


const viewsOf = (db: TidalDb, at: number) => db.retrieve({ signal: 'view', limit: 100, at });

describe('tidaldb follower --rebuild: a corrupt replica is rebuilt from its leader', () => {
  it('open fails naming dir, file and offset with the next step; --rebuild moves it aside and takes the checkpoint bootstrap', async () => {
    const leader = await TidalDb.open({ halfLifeMs: { view: 3_600_000 } });
    const listener = await TcpTransport.listen({ port: 0, token: TOKEN, db: leader, followers: ['r1'], heartbeatMs: 50 });
    const handle = startLeader({ db: leader, transport: listener, followers: ['r1'], shipIntervalMs: 30 });
    const shipped: ShipEvent[] = [];
    handle.shipped$.subscribe((e) => shipped.push(e));
    cleanups.push(() => leader.close(), () => listener.close(), () => handle.stop());
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) await leader.signal({ itemId: `song-${i % 5}`, type: 'view', weight: 1 + (i % 3) });
    };
    const dir = path.join(tempDir('cli'), 'replica');
    const options = { dir, connect: { host: '127.0.0.1', port: listener.port }, peer: 'r1', token: TOKEN, statusIntervalMs: 50 };
    const caughtUp = (out: string) => new RegExp(`applied ${leader.lastSeq} {2}leader ${leader.lastSeq} {2}lag 0 events`).test(out);

    // 1. A healthy replica catches up, then stops (closing writes its checkpoint).
    await write(40);
    const first = captureIo();
    const stop1 = new AbortController();
    const run1 = runFollower(options, first, { signal: stop1.signal });
    await until(() => caughtUp(first.stdout()), 'the replica to catch up');
    stop1.abort();
    expect(await run1).toBe(0);

    // 2. The leader moves on and checkpoints: what the replica had acked is no longer held as segments.
    await write(40);
    await leader.checkpoint();
    // 3. The replica is damaged on disk.
    const damaged = fs.readdirSync(dir).find((n) => n.endsWith('.checkpoint'))!;
    const bytes = fs.readFileSync(path.join(dir, damaged));
    bytes[100] = bytes[100]! ^ 0xff;
    fs.writeFileSync(path.join(dir, damaged), bytes);

    const refused = captureIo();
    expect(await runFollower(options, refused, { signal: new AbortController().signal })).toBe(1);
    expect(refused.stderr()).toMatch(new RegExp(`^error: follower: cannot open the replica in ${dir}: ${damaged}: .*offset \\d+.*; `
      + `next step: \`tidaldb verify ${dir}\` lists every damaged file; to rebuild this replica from its leader, run this command again `
      + 'with --rebuild \\(it moves .* aside to replica\\.before-rebuild-<time> and takes the leader\'s checkpoint\\)\\n$'));

    // 4. --rebuild: moved aside (kept), rebuilt from the leader's checkpoint and the segments after it.
    const shippedBefore = shipped.length;
    const rebuilt = captureIo();
    const stop3 = new AbortController();
    const run3 = runFollower({ ...options, rebuild: true }, rebuilt, { signal: stop3.signal });
    await until(() => caughtUp(rebuilt.stdout()), 'the rebuilt replica to catch up');
    stop3.abort();
    expect(await run3).toBe(0);
    const aside = /^rebuild: moved the old replica aside to (\S+) \(kept;/m.exec(rebuilt.stdout())?.[1];
    expect(aside).toBeDefined();
    expect(path.dirname(aside!)).toBe(path.dirname(path.resolve(dir)));
    expect(fs.readFileSync(path.join(aside!, damaged))).toEqual(bytes); // the damaged files are kept, not deleted
    // (a segment queued while r1 was away may be released first: it does not continue from the empty replica's mark)
    expect(shipped.slice(shippedBefore).filter((e) => e.kind === 'checkpoint')).toEqual([expect.objectContaining({ peer: 'r1' })]);
    expect(rebuilt.stderr()).toBe('');

    const replica = await FollowerDb.open({ dir });
    cleanups.push(() => replica.close());
    expect(replica.lastSeq).toBe(leader.lastSeq);
    const at = Date.now();
    expect(viewsOf(replica, at)).toEqual(viewsOf(leader, at));
  });

  it('--rebuild refuses to move a replica another process holds', async () => {
    const dir = tempDir('cli');
    const holder = await FollowerDb.open({ dir });
    cleanups.push(() => holder.close());
    const io = captureIo();
    const code = await runFollower({ dir, connect: { host: '127.0.0.1', port: 1 }, peer: 'r1', token: TOKEN, rebuild: true }, io, { signal: new AbortController().signal });
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(new RegExp(`^error: follower --rebuild: ${dir} is in use \\(.*\\); stop the follower that holds it first\\n$`));
    expect(fs.existsSync(dir)).toBe(true);
  });
});
