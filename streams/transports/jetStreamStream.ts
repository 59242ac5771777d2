/**
 * The shard's stream on the server, from the leader's side: created if it
 * is missing, its limits brought to the leader's options, and the position
 * the leader publishes after read from its last message.
 *
 * Retention is by limits (bytes, age, messages; the oldest go first), never
 * by interest: with interest retention a message no consumer has yet is
 * dropped, stranding a follower added later. A stream found with another
 * retention, or not holding the shipments subject, is refused with
 * ConfigMismatch rather than changed.
 */
import { DiscardPolicy, type JetStreamManager, RetentionPolicy, type StreamConfig, StorageType } from '@nats-io/jetstream';
import { TidalError } from '../../src/index.js';
import { decodeShipmentHead } from './jetStreamHeaders.js';
import type { JetStreamNames } from './jetStreamSubjects.js';

/** How much the stream keeps, and how it stores it. */
export interface StreamLimits {
  readonly maxBytes: number;
  /** 0: no age limit. */
  readonly maxAgeMs: number;
  readonly maxMessages: number;
  readonly duplicateWindowMs: number;
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
}

/** Where the stream stands when a leader (re)connects. */
export interface LogPosition {
  /** The stream's last sequence (0 when empty): every publish expects it, so a second publisher is refused. */
  readonly lastStreamSeq: number;
  /** The epoch of the leader that published the last message; null when there is none, or it is not a tidaldb message. */
  readonly lastEpoch: number | null;
  /** The shared log's end as that message says (Tidal-Published-Through); null as for lastEpoch. */
  readonly publishedThrough: number | null;
}

const NANOS_PER_MS = 1_000_000;

/** The stream configuration for `names` and `limits` (what the leader creates, and what it corrects). */
export function streamConfig(names: JetStreamNames, limits: StreamLimits): Partial<StreamConfig> & { name: string } {
  return {
    name: names.stream,
    subjects: [names.shipments],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: limits.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: limits.replicas,
    max_bytes: limits.maxBytes,
    max_age: limits.maxAgeMs * NANOS_PER_MS,
    max_msgs: limits.maxMessages,
    max_msg_size: -1,
    duplicate_window: limits.duplicateWindowMs * NANOS_PER_MS,
  };
}

/** Creates the stream, or checks it and brings its limits to `limits`. */
export async function ensureStream(jsm: JetStreamManager, names: JetStreamNames, limits: StreamLimits): Promise<void> {
  const wanted = streamConfig(names, limits);
  const info = await jsm.streams.info(names.stream).catch((err: unknown) => {
    if (isNotFound(err)) return null;
    throw err;
  });
  if (info === null) {
    await jsm.streams.add(wanted).catch((err: unknown) => {
      throw new TidalError('ConfigMismatch', `cannot create stream ${names.stream} on ${names.shipments}: ${(err as Error).message}`, { cause: err });
    });
    return;
  }
  const c = info.config;
  if (c.retention !== RetentionPolicy.Limits) {
    throw new TidalError('ConfigMismatch', `stream ${names.stream} has ${c.retention} retention; tidaldb needs limits retention (interest or work-queue retention drops what a follower added later still needs)`);
  }
  if (!c.subjects?.includes(names.shipments)) {
    throw new TidalError('ConfigMismatch', `stream ${names.stream} holds subjects ${JSON.stringify(c.subjects)}, not ${names.shipments}: another shard's or application's stream?`);
  }
  const differs = c.max_bytes !== wanted.max_bytes || c.max_age !== wanted.max_age || c.max_msgs !== wanted.max_msgs
    || c.duplicate_window !== wanted.duplicate_window || c.discard !== DiscardPolicy.Old;
  if (differs) {
    await jsm.streams.update(names.stream, {
      ...c, max_bytes: wanted.max_bytes!, max_age: wanted.max_age!, max_msgs: wanted.max_msgs!, duplicate_window: wanted.duplicate_window!, discard: DiscardPolicy.Old,
    });
  }
}

/** Reads where the stream ends and what its last message says about the shared log. */
export async function readLogPosition(jsm: JetStreamManager, names: JetStreamNames): Promise<LogPosition> {
  const info = await jsm.streams.info(names.stream);
  const lastStreamSeq = info.state.last_seq;
  if (info.state.messages === 0) return { lastStreamSeq, lastEpoch: null, publishedThrough: null };
  const last = await jsm.streams.getMessage(names.stream, { seq: lastStreamSeq });
  if (last === null) return { lastStreamSeq, lastEpoch: null, publishedThrough: null };
  return { lastStreamSeq: Math.max(lastStreamSeq, last.seq), ...labelsOf(last.header, last.seq) };
}

/** The epoch and log end a stored message says; nulls for a message that is not a tidaldb shipment. */
export function labelsOf(header: { get(name: string): string } | undefined, seq: number): Pick<LogPosition, 'lastEpoch' | 'publishedThrough'> {
  try {
    const head = decodeShipmentHead((name) => header?.get(name) || undefined, `stream message ${seq}`);
    return { lastEpoch: head.epoch, publishedThrough: head.publishedThrough };
  } catch {
    return { lastEpoch: null, publishedThrough: null }; // not ours: it tells nothing about the log (and fences nobody)
  }
}

/** True for the JetStream API's "not found" answers (stream, consumer or message). */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: unknown; status?: unknown; message?: unknown } | null;
  return e?.status === 404 || e?.name === 'StreamNotFoundError' || e?.name === 'ConsumerNotFoundError' || /not found/i.test(String(e?.message ?? ''));
}
