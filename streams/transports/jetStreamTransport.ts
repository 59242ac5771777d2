/**
 * JetStreamTransport: replication through a NATS JetStream server, which
 * then does the fan-out, keeps the retained segments off the leader's disk,
 * replicates them (a clustered stream is RAFT-replicated) and can mirror
 * them to other regions. Its two ends are the two halves of the transport
 * interface, so `startLeader` and `startFollower` run over it unchanged:
 *
 *   leader:   JetStreamTransport.leader({ servers, db })          a LeaderTransport: publishes to the shard's stream
 *   follower: JetStreamTransport.follower({ servers, db, peer })  a FollowerTransport: a durable pull consumer
 *
 * One stream per shard, one message per sealed segment (cut into parts when
 * larger than the server's max_payload, and put back together on the
 * follower), published once for every follower: the shipper's `send$` per
 * follower publishes a segment the first time any follower needs it and
 * finds it on the stream for the others (jetStreamRoute.ts). A re-send or a
 * bootstrap checkpoint goes to one follower only. Message ids
 * `<shard>:<epoch>:<firstSeq>` make a retried publish a duplicate; every
 * publish expects the stream's last sequence, so a deposed leader's publish
 * is refused (`Fenced`, jetStreamPublisher.ts). Followers ack a message only
 * once it is applied, and report progress on a feedback subject exactly as
 * over TCP, so the leader's lag$, acks and metrics work unchanged.
 * Configuration, sizing and what to watch: docs/jetstream.md.
 *
 * @example
 * const leaderEnd = await JetStreamTransport.leader({ servers: 'nats://127.0.0.1:4222', db: leaderDb });
 * const shipping = startLeader({ db: leaderDb, transport: leaderEnd, followers: ['replica-1'] });
 *
 * const followerEnd = await JetStreamTransport.follower({ servers: 'nats://127.0.0.1:4222', db: replica, peer: 'replica-1' });
 * const receiving = startFollower({ db: replica, transport: followerEnd, peer: 'replica-1' });
 * // …
 * await shipping.stop(); await receiving.stop(); await followerEnd.close(); await leaderEnd.close();
 *
 * @see TcpTransport
 */
import { JetStreamFollowerTransport } from './jetStreamFollowerTransport.js';
import { JetStreamLeaderTransport } from './jetStreamLeaderTransport.js';
import type { JetStreamFollowerOptions, JetStreamLeaderOptions } from './jetStreamOptions.js';

export { JetStreamFollowerTransport, JetStreamLeaderTransport };
export type {
  JetStreamFollowerOptions, JetStreamLeaderOptions, JetStreamLinkState, JetStreamTransportEvent,
} from './jetStreamOptions.js';
export type { NatsClientOptions } from './jetStreamConnections.js';

/** Either end of a JetStream transport. */
export type JetStreamTransport = JetStreamLeaderTransport | JetStreamFollowerTransport;

/** Opens either end of replication over NATS JetStream: `JetStreamTransport.leader(…)` or `.follower(…)` (docs/jetstream.md). */
export const JetStreamTransport = {
  /**
   * The leader's end: connects to NATS (and reconnects, until `close()`),
   * creates the shard's stream or brings its limits to the options, and
   * publishes what the shipper sends. Resolves once the first session is
   * ready or failed in a way a retry may fix (NATS down: sends wait);
   * rejects, leaving nothing running, with InvalidInput for bad options,
   * AuthFailed, ConfigMismatch (no JetStream, a stream with interest
   * retention) or Fenced (the stream holds a newer epoch's shipments).
   */
  leader(options: JetStreamLeaderOptions): Promise<JetStreamLeaderTransport> {
    return JetStreamLeaderTransport.open(options);
  },
  /**
   * A follower's end: connects to NATS (and reconnects, until `close()`),
   * finds or makes its durable consumer, and pulls. Resolves once the first
   * session is pulling or failed in a way a retry may fix (NATS down, the
   * stream not made yet); rejects, leaving nothing running, with
   * InvalidInput for bad options, AuthFailed or ConfigMismatch.
   */
  follower(options: JetStreamFollowerOptions): Promise<JetStreamFollowerTransport> {
    return JetStreamFollowerTransport.open(options);
  },
} as const;
