/**
 * Bounds of `tidaldb leader --ingest`, each with its unit and the reason for
 * its value: what one NDJSON line may hold, how many writes wait on the disk
 * at once, and how many bad lines are reported one by one.
 */

/**
 * 8 MiB: the longest NDJSON line, in UTF-8 bytes, newline excluded. The
 * largest write the database takes is an item whose text is at its 1 MiB
 * limit (`limits.MAX_TEXT_BYTES`); JSON escaping can make text up to six
 * times longer (`\u0001`), and fields come on top. A longer line is
 * reported as a bad line and its bytes are dropped as they arrive, never
 * buffered: one line costs at most this much memory.
 */
export const MAX_INGEST_LINE_BYTES = 8 * 1024 * 1024;

/**
 * 4096 writes: one group of writes whose durability is awaited together.
 * Writes issued without waiting share one fdatasync (group commit), so a
 * group of 4096 ~100-byte signals is ~400 KB per fsync, which amortises an
 * fsync of a few ms to about a microsecond per line; half the WAL's
 * `MAX_BATCH_EVENTS` (8192), so a group never spans more than two batches.
 */
export const INGEST_GROUP_WRITES = 4096;

/**
 * 2 groups: the next group is read, parsed and written while the previous
 * one is being made durable; a third waits. At most 2 × 4096 writes are in
 * flight, so ingest memory stays bounded whatever the input's length.
 */
export const INGEST_GROUPS_IN_FLIGHT = 2;

/**
 * 100 lines: bad lines reported one by one on stderr; past this, they are
 * only counted (the summary gives the total). A file of a million bad lines
 * should say what is wrong, not scroll for minutes.
 */
export const MAX_REPORTED_BAD_LINES = 100;
