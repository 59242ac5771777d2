/**
 * Defaults and limits, each with its unit and the reason for its value.
 * Every bound in tidaldb is named here so it can be found and changed.
 */

/** One day: a signal loses half its weight per day unless told otherwise. */
export const DEFAULT_HALF_LIFE_MS = 86_400_000;

/**
 * 4 MiB: a size-sealed segment hashes in ~85 ms with @noble/hashes' BLAKE3
 * (~49 MB/s measured here), small enough that shipping one never stalls a
 * follower for long, large enough that per-segment overhead (header, footer,
 * two hashes, one fsync) is amortised over ~100k events.
 */
export const DEFAULT_MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

/** Smallest allowed segment: a header, one batch header and a footer fit. */
export const MIN_SEGMENT_BYTES = 1024;

/**
 * 8192 events: a batch is encoded in one msgpackr call; past this many
 * pending events the writer encodes a batch at once rather than letting the
 * pending array (and the promise list behind it) grow without bound.
 */
export const MAX_BATCH_EVENTS = 8192;

/** 1 KiB: the longest item id (UTF-8 bytes), as the API contract says. */
export const MAX_ID_BYTES = 1024;

/** 256 bytes: the longest signal type name (UTF-8). */
export const MAX_SIGNAL_TYPE_BYTES = 256;

/** 1 MiB: the longest item text (UTF-8); the search index holds its tokens. */
export const MAX_TEXT_BYTES = 1024 * 1024;

/** 255 bytes: a region id is a short label such as 'eu-west-1'. */
export const MAX_REGION_BYTES = 255;

/**
 * 64 MiB of recently sealed segments kept in memory by a file-backed WAL, so
 * shipping to followers that keep up never reads the disk. Older segments
 * are read back (and verified) from their files.
 */
export const DEFAULT_SHIP_CACHE_BYTES = 64 * 1024 * 1024;

/** The default page size of retrieve() and search(). */
export const DEFAULT_LIMIT = 10;

/** The largest page retrieve() and search() return in one call. */
export const MAX_LIMIT = 10_000;

/**
 * The legal range of a signal's `at` and of a query's `at`, ms since epoch:
 * ±8.64e15, the range of a JavaScript Date (±100,000,000 days around 1970).
 * Every time in that range decays exactly (see ledger/decay.ts); a value
 * outside it is almost certainly not milliseconds.
 */
export const MAX_ABS_AT_MS = 8.64e15;

/**
 * One hour: how far ahead of the database clock a written signal's `at` may
 * be. Clocks of well-run hosts agree to well under a second, so an hour
 * admits any honest skew, while a timestamp in microseconds (1000x too
 * large) or seconds-as-ms mistakes the other way are caught at once.
 * Followers do not apply it: the leader's clock decided.
 */
export const DEFAULT_MAX_FUTURE_MS = 3_600_000;

/**
 * 2^53: the largest |weight| of one signal. Sums of 2^53 signals of this
 * weight stay below 2^106, far from double overflow (2^1024), so a decayed
 * mass can never become Infinity.
 */
export const MAX_ABS_WEIGHT = 2 ** 53;

/**
 * 1 ms: the shortest half-life. Shorter ones decay every signal to 0 within
 * a microsecond and make exponents of (t - at) / halfLife overflow.
 */
export const MIN_HALF_LIFE_MS = 1;

/** Nesting depth of an item's `fields` (objects and arrays): a bound on the decoder's recursion. */
export const MAX_FIELDS_DEPTH = 32;

/**
 * 1 MiB: the largest `fields` of one item, counted as the UTF-8 bytes of
 * every key and string plus 9 bytes per other value (a msgpack float64 is
 * 9 bytes, so the count bounds the encoded size from above).
 */
export const MAX_FIELDS_BYTES = 1024 * 1024;

/**
 * 1 GiB: the default cap on sealed segment bytes a leader with a directory
 * keeps for followers once a checkpoint covers them. At ~8 to 10 bytes per
 * signal (batch format v3, measured on the bench workload) that is over
 * 100M signals of catch-up (hours at 10k/s); a follower
 * further behind bootstraps from the checkpoint instead, so a dead follower
 * cannot fill the disk.
 */
export const DEFAULT_MAX_RETAINED_BYTES_ON_DISK = 1024 * 1024 * 1024;

/** 64 MiB: the same cap in memory, where every retained byte is heap (~2M signals of catch-up). */
export const DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY = 64 * 1024 * 1024;

/**
 * 1,000,000: the most inputs one `signalBatch` or `writeItemBatch` takes.
 * Validation builds every event before any is written (all or nothing), so
 * a call holds its whole batch in memory: ~100 MB at this bound.
 */
export const MAX_WRITE_BATCH = 1_000_000;

/**
 * 4 segments: the fan-in of a WAL merge. A merge starts when the newer
 * sealed segments add up to (fan-in − 1) times an older one's bytes, so for
 * segments of equal size 4 merge into one, 4 of those into one, and so on:
 * each event is rewritten about log4(maxSegmentBytes / segment size) times
 * (5 for 3 KiB ship-tick segments and 4 MiB segments; 2.9 measured in the
 * 60 s soak at 10 ms ticks, docs/wal-format.md), and the segments
 * still being merged number at most 2 + log_{4/3}(maxSegmentBytes /
 * MIN_SEALED_SEGMENT_BYTES) (37 at 4 MiB). 2 would halve the file count
 * and double the rewriting; 8 would double the count for a third less.
 */
export const WAL_MERGE_FAN_IN = 4;

/**
 * 32 segments: the newest sealed segments are never merged. A follower
 * within 32 ship intervals of its leader (0.64 s at a 20 ms interval) is
 * shipped each segment as it was sealed, never a merge repeating events it
 * holds, and small workloads (tests, tools) see their segments as sealed.
 * It adds 32 to the bound on WAL files (docs/wal-format.md).
 */
export const WAL_MERGE_MIN_AGE_SEGMENTS = 32;

/**
 * 172 bytes: a lower bound on a sealed segment's size (40-byte header
 * without meta, one 76-byte batch header, 56-byte footer). Used only in the
 * bound on WAL files, which grows with log(maxSegmentBytes / this).
 */
export const MIN_SEALED_SEGMENT_BYTES = 40 + 76 + 56;

/**
 * 3 attempts: how often a read of a sealed segment is retried when a merge
 * or retention replaced or removed its file between the lookup and the read.
 * One retry suffices (the index is current after it); 3 leaves a margin for
 * back-to-back merges, and bounds the loop if the disk really fails.
 */
export const SEGMENT_READ_ATTEMPTS = 3;

/**
 * 64 epochs: how many promotions a segment header and a checkpoint remember
 * (where each epoch began). A follower that missed more than this many in a
 * row is judged against the oldest remembered start, conservatively: it may
 * be told to rebuild when it need not, never the other way.
 */
export const MAX_EPOCH_HISTORY = 64;

/**
 * 1 ms: how long a tight loop of awaited in-memory writes may run before its
 * next write resolves only after an event-loop turn (EventLoopTurns), so a
 * seal tick, heartbeat or ack is at most about this late. A turn costs a few
 * µs, under 1% of the budget.
 */
export const WRITE_TURN_BUDGET_MS = 1;
