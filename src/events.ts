/**
 * The events the WAL carries. Every event carries its sequence number; the
 * apply path (`applyWalEvent`) is the only place they change state.
 */

/** A signal: `weight` units of engagement `type` on `itemId` at time `at` (ms since epoch). */
export interface SignalEvent {
  readonly kind: 'signal';
  readonly seq: number;
  readonly itemId: string;
  readonly type: string;
  readonly weight: number;
  readonly at: number;
}

/** An item written or replaced: its searchable `text` and opaque `fields`. */
export interface ItemEvent {
  readonly kind: 'item';
  readonly seq: number;
  readonly id: string;
  readonly text: string | null;
  readonly fields: Readonly<Record<string, unknown>> | null;
}

/** One event in the log: a signal or an item write, with its seqno. */
export type WalEvent = SignalEvent | ItemEvent;
