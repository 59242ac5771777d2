/**
 * Writes waiting for the next batch, and the commit group they resolve
 * with: every write until the flush joins one group, so one batch and one
 * fdatasync serve them all. The flush runs at the next event-loop turn
 * (setImmediate), or at once when the caller flushes (a full batch, a seal).
 */
import type { WalEvent } from '../events.js';
import { deferred, type Deferred } from './syncQueue.js';

const RESOLVED = Promise.resolve();

export class PendingEvents {
  private events: WalEvent[] = [];
  private group: Deferred | null = null;
  private flushScheduled = false;

  /**
   * @param groups false in memory: a write is done when queued, so no group is kept
   * @param flush called at the next turn after the first queued write
   */
  constructor(private readonly groups: boolean, private readonly flush: () => void) {}

  get length(): number {
    return this.events.length;
  }

  /** Queues `event`; resolves with its group (at once without groups). */
  push(event: WalEvent): Promise<void> {
    this.events.push(event);
    // Join the group before a size-triggered flush takes it, so this write resolves with its batch.
    const group = this.groups ? (this.group ??= deferred()) : null;
    this.scheduleFlush();
    return group ? group.promise : RESOLVED;
  }

  /** Queues `events` (at least one) as one group: what `push` of each would do, with one call. */
  pushAll(events: readonly WalEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i++) this.events.push(events[i]!);
    const group = this.groups ? (this.group ??= deferred()) : null;
    this.scheduleFlush();
    return group ? group.promise : RESOLVED;
  }

  /** Takes what is queued and its group (null without groups); null when nothing is queued. */
  take(): { readonly events: WalEvent[]; readonly group: Deferred | null } | null {
    if (this.events.length === 0) return null;
    const taken = { events: this.events, group: this.group };
    this.events = [];
    this.group = null;
    return taken;
  }

  /** Fails the group of the writes still queued (the log failed). */
  rejectGroup(err: unknown): void {
    this.group?.reject(err);
    this.group = null;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }
}
