/**
 * Defaults and limits of the JetStream transport, each with its unit and the
 * reason for its value. What they configure on the server is in
 * docs/jetstream.md.
 */

/** The first subject token: `tidaldb.<shard>.shipments`, `tidaldb.<shard>.feedback.<peer>`, `tidaldb.<shard>.status.<peer>`. */
export const DEFAULT_SUBJECT_PREFIX = 'tidaldb';

/** One stream per shard: `tidaldb-shard-<shardId>` unless `stream` says otherwise. */
export function defaultStreamName(shardId: number): string {
  return `tidaldb-shard-${shardId}`;
}

/**
 * 1 GiB: 256 segments of the default 4 MiB `maxSegmentBytes`; at the bench
 * workload's ~8.2 bytes a signal (batch format v3), about 130 million
 * signals a follower can fall behind and still catch up from the stream
 * rather than from a checkpoint.
 */
export const DEFAULT_MAX_STREAM_BYTES = 1024 * 1024 * 1024;

/**
 * 7 days: a follower down over a long weekend catches up from the stream;
 * one down longer gets the leader's checkpoint first (bootstrap).
 */
export const DEFAULT_MAX_STREAM_AGE_MS = 7 * 24 * 3600 * 1000;

/**
 * 10 million messages: at 100 segments a second (shipping every 10 ms, or
 * sealing on commit under load) 28 hours of them; the bytes limit is the one
 * that normally binds. Bounded so that tiny segments cannot grow the
 * stream's index without limit.
 */
export const DEFAULT_MAX_STREAM_MESSAGES = 10_000_000;

/**
 * 2 min: NATS's own default duplicate window, far longer than any retry of a
 * publish whose ack was lost (a reconnect waits at most RECONNECT_CAP_MS,
 * 10 s), so a retried publish is always recognised by its message id.
 */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/**
 * 30 s: NATS's default ack wait. Applying a segment takes milliseconds (an
 * fsync included), and a shipment waits in the follower's buffer for at most
 * `capacity` applies before it, so only a lost follower lets it expire; a
 * redelivery is a duplicate the follower skips.
 */
export const DEFAULT_ACK_WAIT_MS = 30_000;

/**
 * 1000 messages: NATS's default. A follower holds unacked at most `capacity`
 * shipments (16 by default) plus one being assembled, and a default 4 MiB
 * segment is 5 parts at the default 1 MiB max_payload (a 64 MiB checkpoint
 * 65): under 200 messages.
 */
export const DEFAULT_MAX_ACK_PENDING = 1000;

/** 16 shipments per follower: the TCP transport's default, bounded by maxShipmentBytes each. */
export const DEFAULT_JETSTREAM_CAPACITY = 16;

/**
 * 2 s: how long one pull request waits on the server for messages. Messages
 * published meanwhile are delivered at once (the wait only bounds how long a
 * request stays open), and the client's idle heartbeats on the request find
 * a dead connection well within it.
 */
export const DEFAULT_FETCH_EXPIRES_MS = 2000;

/**
 * 64 MiB: the TCP transport's frame limit, 16 times the default 4 MiB
 * `maxSegmentBytes`. A shipment larger than this is refused at the leader
 * (InvalidInput) and a follower never buffers more than this for one.
 */
export const DEFAULT_MAX_SHIPMENT_BYTES = 64 * 1024 * 1024;

/**
 * 4 KiB of each message is left for headers: the transport's own are under
 * 400 bytes (a 64-character checksum, a few integers, a peer token of at
 * most 201 characters) and NATS adds a message id and an expectation. The
 * server counts headers against max_payload.
 */
export const HEADER_RESERVE_BYTES = 4096;

/**
 * 8 KiB: the smallest max_payload this transport works with (4 KiB of data
 * a part after the header reserve). NATS defaults to 1 MiB; a server set
 * below this is refused with ConfigMismatch rather than split into
 * thousands of parts.
 */
export const MIN_MAX_PAYLOAD_BYTES = 8192;

/**
 * 1 s: the NATS client pings the server this often, as the TCP transport
 * heartbeats, so a server that died without closing the socket is noticed
 * in seconds (the client's default is two minutes).
 */
export const DEFAULT_JETSTREAM_HEARTBEAT_MS = 1000;

/** 3 unanswered pings: one late pong is jitter, three in a row a dead server. */
export const MAX_PINGS_OUT = 3;

/** 5 s: a connection attempt, a JetStream API request or a publish ack that takes longer has failed; the session starts over. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/**
 * 100 bytes: a peer id is a short label ('replica-eu-1'); one with other
 * characters than letters, digits and '-' is hex-encoded into subjects and
 * the consumer name (201 characters), which must stay under the 255-byte
 * file name the server stores a consumer under.
 */
export const MAX_JETSTREAM_PEER_ID_BYTES = 100;
