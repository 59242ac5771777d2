/**
 * The simulated clients: random writes to a leader, each recorded in the
 * reference log of the leader's epoch the moment it gets a seqno, and marked
 * acknowledged when its promise resolves (under fsync: durable).
 */
import type { SimCluster } from './simCluster.js';
import type { SimNode } from './simNode.js';
import { itemInput, randomWrite, signalInput } from './workload.js';

/** `count` random writes on `node` (a leader that is up), then the batch flush the WAL's setImmediate would do. */
export function writeRandomly(cluster: SimCluster, node: SimNode, count: number): void {
  const db = node.db!;
  const log = cluster.logs.get(db.epoch)!;
  const { checker, stats } = cluster;
  for (let i = 0; i < count; i++) {
    const e = randomWrite(cluster.random.work, cluster.clock());
    const before = db.lastSeq;
    const written = e.kind === 'signal' ? db.signal(signalInput(e)) : db.writeItem(itemInput(e));
    stats.writes++;
    if (db.lastSeq === before + 1 && !log.append(before + 1, e)) {
      // Its epoch's log is elsewhere: another leader of the same epoch wrote it (a split history).
      checker.violate('G1', node.id, `a leader of epoch ${db.epoch} wrote seqno ${before + 1}, but its epoch's log holds ${log.length} events: two leaders in one epoch`);
    } else if (db.lastSeq !== before + 1 && db.lastSeq !== before) {
      checker.violate('engine', node.id, `a write moved lastSeq from ${before} to ${db.lastSeq}`);
    }
    written.then((seq) => {
      if (seq !== before + 1) checker.violate('engine', node.id, `a write resolved with seqno ${seq}, expected ${before + 1}`);
      log.noteAcked(seq);
      stats.acked++;
    }, (err: { code?: string; message?: string }) => {
      stats.rejected++;
      // Legal writes: the only refusal allowed is Failed, from a log that failed (fail-stop).
      if (err.code !== 'Failed') checker.violate('engine', node.id, `a legal write was refused: ${err.code ?? ''} ${err.message}`);
    });
  }
  db.wal.flushPending();
}
