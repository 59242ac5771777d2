/**
 * `--ingest`: writes an NDJSON input into the leader database, one signal
 * or item per line (the format is parseIngestLine's). Bad lines are
 * reported with their line numbers and skipped, or, under `strict`, stop
 * the run before anything after them is written. Either way every write
 * the database accepted is durable before this resolves.
 *
 * Throughput comes from group commit: writes are issued without waiting
 * for the disk, and their durability is awaited a group at a time
 * (INGEST_GROUP_WRITES), with the next group written while the previous one
 * is made durable. Memory stays bounded: one line is read at a time
 * (ingestLines) and at most INGEST_GROUPS_IN_FLIGHT groups wait on the disk.
 */
import { type ItemInput, type SignalInput, TidalError, type TidalDb } from '../../src/index.js';
import { INGEST_GROUP_WRITES, INGEST_GROUPS_IN_FLIGHT } from './ingestLimits.js';
import { ingestLines } from './ingestLines.js';
import { parseIngestLine } from './parseIngestLine.js';

/** What ingest needs of the database: its two writes, and lastSeq to tell an accepted write from a refused one. */
export type IngestTarget = Pick<TidalDb, 'signal' | 'writeItem' | 'lastSeq'>;

export interface IngestOptions {
  /** Stop at the first bad line (nothing after it is written) instead of skipping it. */
  readonly strict: boolean;
  /**
   * Aborting stops the run at the next line; what was written is still
   * made durable. The owner of the source should also end it (destroy the
   * stream) so a read waiting for input returns; an error the source
   * throws after the abort ends the input and is not a failure.
   */
  readonly signal: AbortSignal;
  /** Each bad line that is skipped: invalid JSON, an unknown shape, a write the database refuses (InvalidInput). */
  readonly onBadLine: (lineNo: number, problem: string) => void;
  /** The longest line, in UTF-8 bytes. Default MAX_INGEST_LINE_BYTES. */
  readonly maxLineBytes?: number;
}

export interface IngestSummary {
  /** Lines read (the number of the last one). */
  readonly lines: number;
  /** Writes the database accepted; every one is durable. */
  readonly written: number;
  /** Bad lines skipped. */
  readonly skipped: number;
  /** Under `strict`, the bad line that stopped the run. */
  readonly stoppedAt: { readonly lineNo: number; readonly problem: string } | null;
  /** The signal aborted the run before the input ended. */
  readonly interrupted: boolean;
}

/**
 * Writes every line of `source` into `db` and resolves with what happened.
 * Rejects when the database fails a write for another reason than bad
 * input (`Failed` after an I/O error, `Closed`): the input cannot go on,
 * and what was accepted before it has been awaited.
 *
 * @example
 * const summary = await ingestNdjson(db, process.stdin, { strict: false, signal, onBadLine: (n, p) => console.error(`line ${n}: ${p}`) });
 * // { lines: 1000, written: 998, skipped: 2, stoppedAt: null, interrupted: false }
 */
export async function ingestNdjson(db: IngestTarget, source: AsyncIterable<Uint8Array | string>, options: IngestOptions): Promise<IngestSummary> {
  const durable = new DurabilityWindow();
  let lines = 0;
  let written = 0;
  let skipped = 0;
  let stoppedAt: IngestSummary['stoppedAt'] = null;
  let interrupted = false;
  try {
    for await (const line of ingestLines(source, options.maxLineBytes)) {
      if ((interrupted = options.signal.aborted)) break;
      lines = line.lineNo;
      const outcome = 'problem' in line ? line.problem : await writeLine(db, line.text, durable);
      if (outcome === WRITTEN) written++;
      else if (outcome === BLANK) continue;
      else if (options.strict) {
        stoppedAt = { lineNo: line.lineNo, problem: outcome };
        break;
      } else {
        skipped++;
        options.onBadLine(line.lineNo, outcome);
      }
    }
  } catch (err) {
    await durable.drain().catch(() => undefined); // the first error is the one to report; later ones follow from it
    if (!(interrupted = options.signal.aborted)) throw err;
  }
  await durable.drain();
  return { lines, written, skipped, stoppedAt, interrupted };
}

const WRITTEN = Symbol('written');
const BLANK = Symbol('blank');

/** Hands one line's write to the database: WRITTEN, BLANK, or the problem that makes it a bad line. */
async function writeLine(db: IngestTarget, text: string, durable: DurabilityWindow): Promise<typeof WRITTEN | typeof BLANK | string> {
  const parsed = parseIngestLine(text);
  if (parsed.kind === 'blank') return BLANK;
  if (parsed.kind === 'bad') return parsed.problem;
  const before = db.lastSeq;
  const write = parsed.kind === 'signal' ? db.signal(parsed.input as SignalInput) : db.writeItem(parsed.input as ItemInput);
  // A write the database accepts takes a seqno at once; a refused one changes nothing (lastSeq does not move).
  if (db.lastSeq !== before) {
    await durable.add(write);
    return WRITTEN;
  }
  const refusal = await write.then(() => new Error(`tidaldb invariant violated: a write resolved without taking a seqno (lastSeq ${before})`), (err: unknown) => err);
  if (refusal instanceof TidalError && refusal.code === 'InvalidInput') return refusal.message;
  throw refusal;
}

/**
 * Writes waiting to be durable, a group at a time: a group is sealed once
 * it holds INGEST_GROUP_WRITES writes, and adding to a full window waits
 * for the oldest group. A group's failure is kept as a value until awaited,
 * so it is never an unhandled rejection, and it is thrown by the next wait.
 */
class DurabilityWindow {
  private group: Promise<number>[] = [];
  private readonly sealed: Promise<unknown>[] = [];

  async add(write: Promise<number>): Promise<void> {
    this.group.push(write);
    if (this.group.length < INGEST_GROUP_WRITES) return;
    this.seal();
    while (this.sealed.length >= INGEST_GROUPS_IN_FLIGHT) await this.awaitOldest();
  }

  /** Waits for every write added; throws the first failure. */
  async drain(): Promise<void> {
    this.seal();
    let first: unknown = null;
    while (this.sealed.length > 0) await this.awaitOldest().catch((err: unknown) => (first ??= err));
    if (first !== null) throw first;
  }

  private seal(): void {
    if (this.group.length === 0) return;
    this.sealed.push(Promise.all(this.group).then(() => null, (err: unknown) => err ?? new Error('a write failed without a reason')));
    this.group = [];
  }

  private async awaitOldest(): Promise<void> {
    const failure = await this.sealed.shift();
    if (failure !== null && failure !== undefined) throw failure;
  }
}
