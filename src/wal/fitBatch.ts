import type { WalEvent } from '../events.js';
import { MAX_BATCH_EVENTS } from '../limits.js';

/**
 * The longest run of `events` from `from` (at most MAX_BATCH_EVENTS) whose
 * encoded batch fits `roomBytes`, and its bytes. A run that does not fit is
 * re-encoded shorter, in proportion to the room; one event is the least it
 * returns, even if that does not fit (the caller then seals and retries in
 * an empty segment, or gives a lone large event a segment of its own).
 */
export function fitBatch(
  events: readonly WalEvent[], from: number, roomBytes: number, encode: (chunk: readonly WalEvent[]) => Uint8Array,
): { readonly chunk: readonly WalEvent[]; readonly bytes: Uint8Array } {
  let n = Math.min(MAX_BATCH_EVENTS, events.length - from);
  let chunk = events.slice(from, from + n);
  let bytes = encode(chunk);
  while (bytes.length > roomBytes && n > 1) {
    n = Math.max(1, Math.min(n - 1, Math.floor((n * roomBytes) / bytes.length)));
    chunk = events.slice(from, from + n);
    bytes = encode(chunk);
  }
  return { chunk, bytes };
}
