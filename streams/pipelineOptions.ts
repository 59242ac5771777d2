/**
 * The options of startLeader and startFollower, checked before anything
 * starts: a bad one is TidalError InvalidInput naming it, never a TypeError
 * from deep inside a pipeline.
 */
import { isObservable } from 'rxjs';
import { TidalDb, TidalError } from '../src/index.js';
import type { FollowerOptions } from './segmentReceiverOptions.js';
import type { LeaderOptions } from './walShipperOptions.js';

/** What a leader's pipeline calls on its LeaderTransport (sendSegment is the caller's, not the pipeline's). */
const TRANSPORT_LEADER_METHODS = ['send$', 'feedback', 'sendStatus'] as const;
/** What a follower's pipeline calls on its FollowerTransport. */
const TRANSPORT_FOLLOWER_METHODS = ['receive$', 'status', 'sendFeedback'] as const;
const LEADER_KEYS = new Set(['db', 'transport', 'followers', 'shipIntervalMs', 'retransmitAfterMs', 'checkpointIntervalMs', 'disconnectedAfterMs', 'shipOn', 'scheduler']);
const FOLLOWER_KEYS = new Set(['db', 'transport', 'peer', 'feedbackIntervalMs', 'checkpointIntervalMs', 'scheduler']);

/** @param serves 'relay': `db` is a follower serving followers of its own (startRelay, docs/cascading.md) */
export function checkLeaderOptions(options: unknown, serves: 'leader' | 'relay' = 'leader'): LeaderOptions {
  const o = checkCommon(options, serves === 'relay' ? 'startRelay' : 'startLeader', LEADER_KEYS, { name: 'LeaderTransport', methods: TRANSPORT_LEADER_METHODS });
  const followers = o.followers;
  if (!isObservable(followers) && !(Array.isArray(followers) && followers.every(isPeerId))) {
    throw invalid('startLeader: followers must be an array of non-empty peer id strings, or an Observable of such arrays');
  }
  for (const key of ['shipIntervalMs', 'retransmitAfterMs', 'disconnectedAfterMs']) positive(o, key, 'startLeader');
  nonNegative(o, 'checkpointIntervalMs', 'startLeader');
  if (o.shipOn !== undefined && o.shipOn !== 'tick' && o.shipOn !== 'commit') {
    throw invalid(`startLeader: shipOn must be 'tick' or 'commit', got ${JSON.stringify(o.shipOn)}`);
  }
  if (serves === 'leader' && o.db instanceof TidalDb && o.db.isFollower()) throw new TidalError('ReadOnly', 'startLeader needs a leader database; this one is a follower');
  if (serves === 'relay' && !(o.db instanceof TidalDb && o.db.isFollower())) {
    throw invalid("startRelay serves from a follower database (role 'follower'); a leader ships with startLeader");
  }
  return o as unknown as LeaderOptions;
}

export function checkFollowerOptions(options: unknown): FollowerOptions {
  const o = checkCommon(options, 'startFollower', FOLLOWER_KEYS, { name: 'FollowerTransport', methods: TRANSPORT_FOLLOWER_METHODS });
  if (!isPeerId(o.peer)) throw invalid('startFollower: peer must be a non-empty string');
  positive(o, 'feedbackIntervalMs', 'startFollower');
  nonNegative(o, 'checkpointIntervalMs', 'startFollower');
  if (o.db instanceof TidalDb && !o.db.isFollower()) throw invalid("startFollower needs a follower database (role 'follower')");
  return o as unknown as FollowerOptions;
}

function checkCommon(
  options: unknown, what: string, keys: ReadonlySet<string>, end: { name: string; methods: readonly string[] },
): Record<string, unknown> {
  if (typeof options !== 'object' || options === null) throw invalid(`${what}: options must be an object`);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!keys.has(key)) throw invalid(`${what}: unknown option ${JSON.stringify(key)}`);
  if (!(o.db instanceof TidalDb)) throw invalid(`${what}: db must be a TidalDb`);
  const transport = o.transport as Record<string, unknown> | null | undefined;
  const missing = end.methods.filter((m) => typeof transport?.[m] !== 'function');
  if (missing.length > 0) throw invalid(`${what}: transport must be a ${end.name} (missing ${missing.join(', ')})`);
  const scheduler = o.scheduler as { schedule?: unknown } | undefined;
  if (scheduler !== undefined && typeof scheduler?.schedule !== 'function') throw invalid(`${what}: scheduler must be an RxJS SchedulerLike`);
  return o;
}

function positive(o: Record<string, unknown>, key: string, what: string): void {
  const v = o[key];
  if (v !== undefined && (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))) throw invalid(`${what}: ${key} must be a positive number of ms`);
}

function nonNegative(o: Record<string, unknown>, key: string, what: string): void {
  const v = o[key];
  if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))) throw invalid(`${what}: ${key} must be a number of ms >= 0`);
}

function isPeerId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function invalid(message: string): TidalError {
  return new TidalError('InvalidInput', message);
}
