/**
 * The two ends of a transport, as two interfaces: a leader ships segments,
 * announces its position and hears feedback; a follower takes segments,
 * hears announcements and sends feedback. No end offers what it cannot do.
 *
 * `Transport` (transport.ts) is still one interface with both ends, and
 * `startLeader`/`startFollower` still ask for it. Until they ask for one
 * end each (a later issue), `asTransport(end)` hands an end to them: the
 * other end's methods fail with `TidalError` `InvalidInput` naming the
 * method, which no pipeline calls (`shipSegments` uses `send$`, the
 * WalShipper `feedback` and `sendStatus`; the SegmentReceiver `receive$`,
 * `status` and `sendFeedback`).
 *
 * @example
 * const workers = new WorkerTransport();                   // a LeaderEnd
 * startLeader({ db, transport: asTransport(workers), followers: workers.followers$ });
 */
import { type Observable, throwError } from 'rxjs';
import { TidalError } from '../../src/index.js';
import type { Transport } from '../transport.js';

/** What a leader's pipeline uses: shipping, status announcements, feedback. */
export type LeaderEnd = Pick<Transport, 'sendSegment' | 'send$' | 'feedback' | 'sendStatus'>;

/** What a follower's pipeline uses: receiving, announcements, feedback. */
export type FollowerEnd = Pick<Transport, 'recvSegment' | 'receive$' | 'segments' | 'status' | 'sendFeedback'>;

/** A `Transport` for `startLeader`/`startFollower` made of one end: the other end's methods fail, typed. */
export function asTransport(end: LeaderEnd | FollowerEnd): Transport {
  const leader = end as Partial<LeaderEnd>;
  const follower = end as Partial<FollowerEnd>;
  const kind = leader.send$ ? 'leader' : 'follower';
  const wrong = (method: string) => new TidalError('InvalidInput', `${method}: this is the ${kind} end of a transport; ${method} belongs to the other end`);
  const rejecting = (method: string) => () => Promise.reject(wrong(method));
  const erroring = (method: string) => (): Observable<never> => throwError(() => wrong(method));
  const throwing = (method: string) => (): void => {
    throw wrong(method);
  };
  return {
    sendSegment: leader.sendSegment?.bind(end) ?? rejecting('sendSegment'),
    send$: leader.send$?.bind(end) ?? erroring('send$'),
    feedback: leader.feedback?.bind(end) ?? erroring('feedback'),
    sendStatus: leader.sendStatus?.bind(end) ?? throwing('sendStatus'),
    recvSegment: follower.recvSegment?.bind(end) ?? rejecting('recvSegment'),
    receive$: follower.receive$?.bind(end) ?? erroring('receive$'),
    segments: follower.segments?.bind(end) ?? erroring('segments'),
    status: follower.status?.bind(end) ?? erroring('status'),
    sendFeedback: follower.sendFeedback?.bind(end) ?? throwing('sendFeedback'),
  };
}
