import type { LeaderOptions } from './walShipperOptions.js';
import { WalShipper } from './walShipper.js';

/** Handle of a running leader. */
export type LeaderHandle = WalShipper;

/**
 * Starts shipping a leader's WAL to its followers.
 *
 * @example
 * const leader = startLeader({ db, transport, followers: ['f1', 'f2'], shipIntervalMs: 100 });
 * leader.lag$.subscribe((lag) => console.log(lag.f1?.events));
 * // …
 * leader.stop();
 */
export function startLeader(options: LeaderOptions): LeaderHandle {
  return new WalShipper(options).start();
}
