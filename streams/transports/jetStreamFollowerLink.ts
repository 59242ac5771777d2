/**
 * The JetStream follower's session setup and its pull, at the I/O edge: on
 * a fresh NATS connection, find or make the follower's durable consumer
 * (jetStreamConsumer.ts), and pull from it one request at a time.
 *
 *   connection ─▶ JetStream ─▶ ensureConsumer(peer, mark) ─▶ FollowerLink ─▶ fetched$(max, expires) …
 */
import { type Consumer, type ConsumerMessages, type JsMsg, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Observable } from 'rxjs';
import { ensureConsumer } from './jetStreamConsumer.js';
import { jetStreamManagerOf } from './jetStreamLeaderLink.js';
import type { ResolvedJetStreamFollower } from './jetStreamOptions.js';

/** One session's connection, with the consumer to pull from. */
export interface FollowerLink {
  readonly nc: NatsConnection;
  readonly consumer: Consumer;
}

/** Sets a session up on `nc`; rejects with ConfigMismatch (no JetStream) or what the server said (no stream yet: retried). */
export async function openFollowerLink(nc: NatsConnection, options: ResolvedJetStreamFollower): Promise<FollowerLink> {
  const { names, peer, requestTimeoutMs: timeout, ackWaitMs, maxAckPending, db } = options;
  const jsm = await jetStreamManagerOf(nc, options.servers, timeout);
  await ensureConsumer(jsm, names, peer, { ackWaitMs, maxAckPending }, db.lastSeq);
  const consumer = await jetstream(nc, { timeout }).consumers.get(names.stream, names.consumer(peer));
  return { nc, consumer };
}

/**
 * One pull request as an Observable: at most `max` messages, waiting up to
 * `expiresMs` on the server; completes when the request is done, errors
 * when it fails (a lost connection, missed heartbeats). Unsubscribing stops it.
 *
 *   fetched$(c, 3, 2000) :  -m-m----|         (two came within the 2 s)
 */
export function fetched$(consumer: Consumer, max: number, expiresMs: number): Observable<JsMsg> {
  return new Observable<JsMsg>((subscriber) => {
    let messages: ConsumerMessages | null = null;
    let stopped = false;
    consumer.fetch({ max_messages: max, expires: expiresMs }).then(async (fetched) => {
      messages = fetched;
      if (stopped) return fetched.stop();
      for await (const m of fetched) {
        if (stopped) break;
        subscriber.next(m);
      }
      subscriber.complete();
    }).catch((err: unknown) => subscriber.error(err));
    return () => {
      stopped = true;
      (messages as ConsumerMessages | null)?.stop();
    };
  });
}
