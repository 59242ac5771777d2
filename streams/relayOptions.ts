/**
 * The options of startRelay: startLeader's, on a follower database.
 * Checked before anything starts, by startLeader's own check
 * (pipelineOptions.ts) in its relay form.
 */
import { TidalError } from '../src/index.js';
import { checkLeaderOptions } from './pipelineOptions.js';
import type { LeaderOptions } from './walShipperOptions.js';

/**
 * The options of startRelay: those of startLeader, with `db` a follower
 * (FollowerDb) that a SegmentReceiver feeds, and `followers` its own
 * downstream followers.
 */
export type RelayOptions = LeaderOptions;

/** Checks startRelay's options: InvalidInput naming the bad one (a leader `db` included). */
export function checkRelayOptions(options: unknown): RelayOptions {
  if (typeof options !== 'object' || options === null) throw new TidalError('InvalidInput', 'startRelay: options must be an object');
  return checkLeaderOptions(options, 'relay');
}
