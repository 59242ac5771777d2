/**
 * JetStreamLinkLifecycle: one JetStream transport end's link to NATS over
 * time, the part both ends share. It runs the end's sessions one after
 * another (reconnectWithBackoff: capped exponential backoff, full jitter),
 * says how the link stands (`state$`, the gauge
 * `replication.transportConnected`, `replication.reconnects`), reports why
 * on `events$`, settles the end's first attempt, and tears it all down.
 *
 *   session :  ──ready────X   wait   ──ready──   …   close
 *   state   :  connecting, connected, disconnected, connected, …, closed (or fenced)
 *
 * A first attempt settles when a session is ready, or fails in a way a retry
 * may fix (NATS down, no stream yet); it fails when the first session met
 * `AuthFailed`, `ConfigMismatch` or `Fenced`, which no retry fixes by itself.
 */
import { BehaviorSubject, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { type TidalDb, TidalError } from '../../src/index.js';
import { errorCode } from '../internal/errorCode.js';
import { JetStreamConnections } from './jetStreamConnections.js';
import type { JetStreamLinkState, JetStreamTransportEvent } from './jetStreamOptions.js';
import { reconnectWithBackoff } from './reconnectWithBackoff.js';

/** Codes a retry does not fix: the first attempt fails with them (later ones are retried and reported). */
const FATAL_AT_START: ReadonlySet<string> = new Set(['AuthFailed', 'ConfigMismatch', 'Fenced']);

export interface LinkLifecycleOptions {
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
  readonly reconnectBaseMs: number;
  readonly reconnectCapMs: number;
}

export class JetStreamLinkLifecycle {
  /** The end's NATS connections (closed with the link). */
  readonly connections = new JetStreamConnections();
  private readonly stateSubject = new BehaviorSubject<JetStreamLinkState>('connecting');
  private readonly eventsSubject = new Subject<JetStreamTransportEvent>();
  private loop: Subscription | null = null;
  private closing: Promise<void> | null = null;
  private settleFirst!: { resolve: () => void; reject: (err: Error) => void };
  /** Settles once the first attempt has (see the file comment). */
  readonly firstSettled = new Promise<void>((resolve, reject) => (this.settleFirst = { resolve, reject }));

  /** See JetStreamTransportEvent. Hot; completes on close. */
  readonly events$: Observable<JetStreamTransportEvent> = this.eventsSubject.asObservable();
  /** Replays the latest; completes on close. */
  readonly state$: Observable<JetStreamLinkState> = this.stateSubject.asObservable();

  /** @param db whose metrics count reconnects and show the link */
  constructor(private readonly db: TidalDb, private readonly options: LinkLifecycleOptions) {}

  get state(): JetStreamLinkState {
    return this.stateSubject.value;
  }

  /** True once closing (or fenced): nothing more is started. */
  get stopped(): boolean {
    return this.closing !== null;
  }

  /** Runs `session()` again and again, waiting backoffDelayMs between: it emits once ready, and ends (errors) when lost. */
  start(session: () => Observable<void>): void {
    const { random, scheduler, reconnectBaseMs: baseMs, reconnectCapMs: capMs } = this.options;
    this.loop = reconnectWithBackoff(session, {
      random, scheduler, baseMs, capMs,
      onRetry: (attempt, delayMs) => {
        this.db.metrics.inc('replication.reconnects');
        this.eventsSubject.next({ kind: 'reconnecting', attempt, delayMs });
      },
    }).subscribe();
  }

  /** A session is ready on `server`. */
  connected(server: string, maxPayloadBytes: number): void {
    this.db.metrics.set('replication.transportConnected', 1);
    this.stateSubject.next('connected');
    this.eventsSubject.next({ kind: 'connected', server, maxPayloadBytes });
    this.settleFirst.resolve();
  }

  /** A session ended with `err` (the loop waits and starts another). */
  lost(err: unknown): void {
    this.db.metrics.set('replication.transportConnected', 0);
    if (this.closing) return;
    const error = err instanceof Error ? err : new TidalError('Closed', String(err));
    this.eventsSubject.next({ kind: 'closed', reason: error.message, error });
    if (FATAL_AT_START.has(errorCode(error))) this.settleFirst.reject(error);
    else this.settleFirst.resolve();
    this.stateSubject.next('disconnected');
  }

  report(event: JetStreamTransportEvent): void {
    this.eventsSubject.next(event);
  }

  /**
   * Stops the sessions, closes every connection, and ends in `state`
   * ('fenced' for a deposed leader, else 'closed'); resolves once the
   * connections are closed. Idempotent: the first call's state stands.
   */
  close(state: 'closed' | 'fenced' = 'closed'): Promise<void> {
    this.closing ??= this.shutDown(state);
    return this.closing;
  }

  private async shutDown(state: 'closed' | 'fenced'): Promise<void> {
    this.loop?.unsubscribe();
    this.settleFirst.resolve();
    if (state === 'fenced') this.stateSubject.next('fenced');
    await this.connections.closeAll();
    this.db.metrics.set('replication.transportConnected', 0);
    if (state === 'closed') this.stateSubject.next('closed');
    this.stateSubject.complete();
    this.eventsSubject.complete();
  }
}

/**
 * `end` once its first session is ready (or failed in a way a retry may
 * fix); when the first attempt failed for good, closes it, leaving nothing
 * running, and rejects with that error. Both ends' `open` wait this way.
 */
export async function openedOrClosed<T extends { close(): Promise<void> }>(end: T, firstSettled: Promise<void>): Promise<T> {
  try {
    await firstSettled;
  } catch (err) {
    await end.close();
    throw err;
  }
  return end;
}
