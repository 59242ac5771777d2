/**
 * What runs inside a replica worker: a FollowerDb fed by startFollower over
 * the worker transport's follower end, answering reads on the control
 * channel until told to stop or until its pipeline fails.
 *
 *   control ──req──▶ db.retrieve / search / readDecayScore / waitFor ──res──▶ control
 *   port ──shipments──▶ WorkerTransportFollower ──▶ startFollower(db) ──feedback, credits──▶ port
 *   follower.state$, lag$ ──▶ control           follower.error$ ──▶ close, 'failed'
 *   'stop' ──▶ follower.stop(), db.close() ──▶ 'stopped'; every listener removed, so the thread ends
 */
import { Subscription } from 'rxjs';
import { FollowerDb, type RetrieveQuery, type SearchQuery, TidalError, type TidalDb } from '../src/index.js';
import { encodeError, type FromReplica, type ReplicaWorkerInit, type ToReplica } from './replicaWorkerMessages.js';
import { startFollower } from './segmentReceiver.js';
import { WorkerTransportFollower } from './transports/workerTransportFollower.js';
import type { WorkerPort } from './transports/workerTransportMessages.js';

/** Serves one replica until it stops; resolves once everything it opened is closed. */
export async function serveReplica(control: WorkerPort, init: ReplicaWorkerInit): Promise<void> {
  const post = (message: FromReplica) => control.postMessage(message);
  let db: TidalDb;
  try {
    db = await FollowerDb.open(init.db);
  } catch (err) {
    init.port.close();
    post({ t: 'failed', error: encodeError(err) });
    return;
  }
  const end = new WorkerTransportFollower(init.port, { peer: init.peer, capacity: init.capacity });
  const follower = startFollower({
    db, transport: end, peer: init.peer,
    feedbackIntervalMs: init.feedbackIntervalMs, checkpointIntervalMs: init.checkpointIntervalMs,
  });
  const reports = new Subscription();
  let ended: Promise<void> | null = null;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const shutdown = (last: () => FromReplica): Promise<void> => (ended ??= (async () => {
    control.off('message', onMessage);
    reports.unsubscribe();
    await follower.stop();
    end.close();
    init.port.close();
    let closeError: unknown = null;
    await db.close().catch((err: unknown) => (closeError = err));
    post(closeError === null ? last() : { t: 'failed', error: encodeError(closeError) });
    resolveStopped();
  })());
  const onMessage = (message: unknown) => {
    const m = message as ToReplica;
    if (m.t === 'req') answer(db, m, post);
    else if (m.t === 'stop') void shutdown(() => ({ t: 'stopped' }));
  };
  control.on('message', onMessage);
  let ready = false;
  reports.add(follower.lag$.subscribe((lag) => post(ready ? { t: 'lag', lag } : { t: 'ready', lag })));
  ready = true;
  reports.add(follower.state$.subscribe((state) => post({ t: 'state', state })));
  reports.add(follower.error$.subscribe((error) => void shutdown(() => ({ t: 'failed', error: encodeError(error) }))));
  await stopped;
}

/** Answers one read; an error, typed, goes back in place of the value. */
function answer(db: TidalDb, req: Extract<ToReplica, { t: 'req' }>, post: (m: FromReplica) => void): void {
  const { id, args } = req;
  const fail = (err: unknown) => post({ t: 'res', id, error: encodeError(err) });
  try {
    switch (req.op) {
      case 'retrieve':
        return post({ t: 'res', id, value: db.retrieve(args[0] as RetrieveQuery) });
      case 'search':
        return post({ t: 'res', id, value: db.search(args[0] as SearchQuery) });
      case 'readDecayScore':
        return post({ t: 'res', id, value: db.readDecayScore(args[0] as string, args[1] as string, args[2] as number | undefined) });
      case 'waitFor':
        db.waitFor(args[0] as number, args[1] as { timeoutMs: number }).then((value) => post({ t: 'res', id, value }), fail);
        return;
      default:
        return fail(new TidalError('InvalidInput', `a replica worker serves retrieve, search, readDecayScore and waitFor, not ${JSON.stringify(req.op)}`));
    }
  } catch (err) {
    fail(err);
  }
}
