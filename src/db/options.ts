import { nameProblem } from '../eventContent.js';
import { integerOption, invalidOption, rejectUnknownOptions } from '../optionChecks.js';
import { type HalfLifeOption, type HalfLives, parseHalfLives } from '../ledger/halfLives.js';
import {
  DEFAULT_MAX_FUTURE_MS, DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY, DEFAULT_MAX_RETAINED_BYTES_ON_DISK, DEFAULT_MAX_SEGMENT_BYTES, MAX_ABS_AT_MS, DEFAULT_SHIP_CACHE_BYTES, MAX_REGION_BYTES, MIN_SEGMENT_BYTES,
} from '../limits.js';
import type { SegmentStore } from '../wal/segmentStore.js';
import type { Durability } from '../wal/wal.js';

/** Options of `TidalDb.open`. */
export interface TidalDbOptions {
  /** Directory for segments and checkpoints. Omitted: in memory (the same segments, held in memory). */
  dir?: string;
  /** Shard this database holds; names its files. Default 0. */
  shardId?: number;
  /** Region label recorded in every segment header. Default 'local'. */
  regionId?: string;
  /** 'follower' refuses writes and takes segments from a leader. Default 'leader'. */
  role?: 'leader' | 'follower';
  /** Half-life per signal type in ms (key '*' for the default); one number for all. Default one day. */
  halfLifeMs?: HalfLifeOption;
  wal?: WalOptions;
  /** Clock, ms since epoch. Default Date.now. */
  clock?: () => number;
  /**
   * How far ahead of `clock` a written signal's `at` may be, in ms. Default
   * one hour; a signal further ahead is refused with InvalidInput (a
   * timestamp in microseconds is caught at once).
   */
  maxFutureMs?: number;
  /**
   * Where segments and checkpoints live, instead of `dir` or memory: the
   * storage seam (a simulated or fault-injecting disk in tests). A store of
   * kind 'file' is written with `wal.sync` durability, like a `dir`.
   */
  store?: SegmentStore;
}

/** The write-ahead log's options, `TidalDbOptions.wal`: segment size, durability, retention and its byte cap. */
export interface WalOptions {
  /** A segment seals once it reaches this many bytes. Default 4 MiB. */
  maxSegmentBytes?: number;
  /** 'fsync' (default with a dir): a write resolves once on disk. 'none': the OS flushes when it likes. */
  sync?: 'fsync' | 'none';
  /**
   * History: sealed segments kept once a checkpoint covers them (newest
   * first) even when every follower has them. Default 0: a segment goes once
   * a checkpoint covers it and every follower acked past it. Opt-in; the
   * bytes count against `maxRetainedBytes`.
   */
  retainSegments?: number;
  /**
   * Cap on sealed segment bytes kept for followers once a checkpoint covers
   * them: a dead follower cannot fill the disk or the heap. A follower behind
   * what is kept is sent the latest checkpoint first. Default 1 GiB with a
   * `dir`, 64 MiB in memory; `Infinity` for no cap.
   */
  maxRetainedBytes?: number;
  /** Bytes of recently sealed segments kept in memory for shipping (file-backed only). Default 64 MiB. */
  shipCacheBytes?: number;
  /**
   * Checkpoint (and so run retention) by itself once this many sealed bytes
   * are not covered by a checkpoint. Default half of `maxRetainedBytes`, so
   * the sealed bytes stay under the cap however fast the writer; Infinity
   * turns it off (checkpoints only when asked, or on the pipelines' timer).
   */
  checkpointAfterBytes?: number;
  /**
   * With a `dir`: a new segment is appended to the newest segment file while
   * that holds less than `maxSegmentBytes`, so sealing a small segment costs
   * no new file and no directory fsync (default `true`). `false` gives every
   * segment a file of its own, small ones merged in the background (the
   * layout of tidaldb 0.1, which either setting reads). docs/wal-format.md.
   */
  packSegments?: boolean;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly dir: string | null;
  readonly shardId: number;
  readonly regionId: string;
  readonly role: 'leader' | 'follower';
  /** Null when not given: adopt what the data records (or the default). */
  readonly halfLives: HalfLives | null;
  readonly maxSegmentBytes: number;
  readonly durability: Durability;
  readonly retainSegments: number;
  readonly maxRetainedBytes: number;
  readonly shipCacheBytes: number;
  readonly checkpointAfterBytes: number;
  readonly packSegments: boolean;
  readonly clock: () => number;
  /** How far ahead of the clock a signal's `at` may be, ms. */
  readonly maxFutureMs: number;
  /** A store given by the caller, or null: `dir` or memory. */
  readonly store: SegmentStore | null;
}

const TOP_KEYS = new Set(['dir', 'shardId', 'regionId', 'role', 'halfLifeMs', 'wal', 'clock', 'store', 'maxFutureMs']);
const WAL_KEYS = new Set(['maxSegmentBytes', 'sync', 'retainSegments', 'maxRetainedBytes', 'shipCacheBytes', 'checkpointAfterBytes', 'packSegments']);

export function resolveOptions(opts: TidalDbOptions = {}): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw invalid(`options must be an object, got ${String(opts)}`);
  rejectUnknown(opts, TOP_KEYS, 'option');
  const wal = opts.wal ?? {};
  if (typeof wal !== 'object' || wal === null) throw invalid('wal must be an object');
  rejectUnknown(wal, WAL_KEYS, 'wal option');
  const dir = opts.dir ?? null;
  if (dir !== null && (typeof dir !== 'string' || dir.length === 0)) throw invalid('dir must be a non-empty string');
  const regionId = opts.regionId ?? 'local';
  const regionProblem = nameProblem('regionId', regionId, MAX_REGION_BYTES);
  if (regionProblem !== null) throw invalid(regionProblem);
  const role = opts.role ?? 'leader';
  if (role !== 'leader' && role !== 'follower') throw invalid(`role must be 'leader' or 'follower', got ${JSON.stringify(role)}`);
  const sync = wal.sync ?? 'fsync';
  if (sync !== 'fsync' && sync !== 'none') throw invalid(`wal.sync must be 'fsync' or 'none', got ${JSON.stringify(sync)}`);
  if (opts.clock !== undefined && typeof opts.clock !== 'function') throw invalid('clock must be a function returning ms since epoch');
  const store = opts.store ?? null;
  if (store !== null && (typeof store !== 'object' || (store.kind !== 'memory' && store.kind !== 'file'))) {
    throw invalid("store must be a SegmentStore (kind 'memory' or 'file')");
  }
  if (store !== null && dir !== null) throw invalid('give dir or store, not both');
  const onDisk = dir !== null || store?.kind === 'file';
  const maxRetainedBytes = retainedBytesOption(wal.maxRetainedBytes, onDisk);
  return {
    dir,
    shardId: integer('shardId', opts.shardId ?? 0, 0, 0xffff_ffff),
    regionId,
    role,
    halfLives: opts.halfLifeMs === undefined ? null : parseHalfLives(opts.halfLifeMs),
    maxSegmentBytes: integer('wal.maxSegmentBytes', wal.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES, 2 ** 31),
    durability: onDisk ? sync : 'memory',
    retainSegments: wal.retainSegments === undefined ? 0 : integer('wal.retainSegments', wal.retainSegments, 0, 2 ** 31),
    maxRetainedBytes,
    shipCacheBytes: integer('wal.shipCacheBytes', wal.shipCacheBytes ?? DEFAULT_SHIP_CACHE_BYTES, 0, 2 ** 40),
    checkpointAfterBytes: wal.checkpointAfterBytes === undefined ? maxRetainedBytes / 2
      : wal.checkpointAfterBytes === Infinity ? Infinity : integer('wal.checkpointAfterBytes', wal.checkpointAfterBytes, 1, 2 ** 50),
    packSegments: booleanOption('wal.packSegments', wal.packSegments, true),
    clock: opts.clock ?? Date.now,
    maxFutureMs: integer('maxFutureMs', opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS, 0, MAX_ABS_AT_MS),
    store,
  };
}

/** `wal.maxRetainedBytes`: an integer of bytes or Infinity; by default a cap that a week of running cannot exceed. */
function retainedBytesOption(value: unknown, onDisk: boolean): number {
  if (value === undefined) return onDisk ? DEFAULT_MAX_RETAINED_BYTES_ON_DISK : DEFAULT_MAX_RETAINED_BYTES_IN_MEMORY;
  if (value === Infinity) return Infinity;
  return integer('wal.maxRetainedBytes', value, 0, 2 ** 50);
}

const integer = integerOption;
const rejectUnknown = rejectUnknownOptions;
const invalid = invalidOption;

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
