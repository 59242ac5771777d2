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
 * Rebase a signal type's decay reference once a signal lands this many
 * half-lives after it: 2^512 is far from double overflow (2^1024), so sums
 * of up to 2^500 signals still fit.
 */
export const DECAY_REBASE_HALF_LIVES = 512;

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
