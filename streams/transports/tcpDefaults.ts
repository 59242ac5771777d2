/**
 * Defaults and limits of the TCP transport, each with its unit and the
 * reason for its value. The wire protocol they bound is in docs/tcp-protocol.md.
 */

/**
 * Version carried in hello, challenge and welcome; a peer speaking another
 * one is refused with ConfigMismatch naming both. v2 (issue 12): mutual
 * challenge-response, the token never on the wire; authenticated frames
 * without TLS. v1 sent the token in its hello.
 */
export const TCP_PROTOCOL_VERSION = 2;

/** 32 bytes: each side's random nonce per connection (256 bits: never repeats, never guessed). */
export const NONCE_BYTES = 32;

/** 32 bytes: a handshake proof is a whole HMAC-SHA-256. */
export const PROOF_BYTES = 32;

/**
 * 16 bytes: the shortest token accepted. Each proof lets whoever sees it test
 * guesses of the token offline, so a token must be a random secret (16 random
 * bytes are 128 bits; `openssl rand -hex 16` prints 32 characters), not a word.
 */
export const MIN_TOKEN_BYTES = 16;

/** Bytes of the length prefix in front of every frame (u32 little-endian). */
export const FRAME_HEADER_BYTES = 4;

/**
 * 64 MiB: 16 times the default 4 MiB `maxSegmentBytes` (a size-sealed segment
 * overshoots it by at most one batch), so every segment a default leader seals
 * fits with its envelope; and no peer can make us buffer more than this for
 * one frame. A leader configured with larger segments must raise it on both
 * sides: a segment that does not fit fails its send with `InvalidInput`.
 */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * 64 KiB: the largest frame accepted before the handshake is done. A hello
 * (peer id, token, four numbers) is well under 1 KiB, and an unauthenticated
 * peer must not be able to make the leader buffer a 64 MiB frame.
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 64 * 1024;

/** The largest frame `maxFrameBytes` may be set to: what a u32 length prefix can say. */
export const MAX_FRAME_BYTES_LIMIT = 0xffff_ffff;

/**
 * 1 s: the same as the follower's feedback interval, so an idle link carries
 * about one small frame a second each way (~40 bytes/s), and a dead peer is
 * noticed in seconds rather than at TCP's keepalive (two hours by default).
 */
export const DEFAULT_HEARTBEAT_MS = 1000;

/**
 * 3 heartbeats: one late or lost heartbeat is jitter (a GC pause, a busy
 * event loop); three in a row is a dead peer. A dead peer is noticed within
 * deadAfterMs + heartbeatMs (the check runs on each heartbeat tick).
 */
export const DEAD_AFTER_HEARTBEATS = 3;

/** 100 ms: the first reconnect waits up to this long, enough for a restarting listener to rebind. */
export const RECONNECT_BASE_MS = 100;

/**
 * 10 s: the longest wait between reconnects. Past this, a follower of a
 * leader that comes back would stay stale longer than the default
 * `maxStaleMs` budgets of a few seconds to tens of seconds make sense for.
 */
export const RECONNECT_CAP_MS = 10_000;

/** 16 segments per follower: the in-process transport's default, bounded by maxSegmentBytes each. */
export const DEFAULT_TCP_CAPACITY = 16;

/**
 * 64 connections: a leader ships to a handful of followers; the rest of the
 * budget absorbs reconnect storms and stray clients without letting them
 * exhaust file descriptors. Pending (not yet handshaken) ones count too.
 */
export const DEFAULT_MAX_CONNECTIONS = 64;

/** Loopback: a listener is reachable from other machines only when `host` says so. */
export const DEFAULT_TCP_HOST = '127.0.0.1';

/** 255 bytes: a peer id is a short label such as 'replica-eu-1' (as a region id is). */
export const MAX_PEER_ID_BYTES = 255;

/** 4 KiB: a shared secret longer than this is a configuration mistake, not more security. */
export const MAX_TOKEN_BYTES = 4096;
