/**
 * The reads a replica worker's handle has sent and not yet had answered:
 * at most `maxInFlight`, each waiting for the answer with its id. Past the
 * bound a request is refused at once (TidalError `TooManyRequests`);
 * when the worker ends, every one still waiting is rejected with the reason.
 */
import { TidalError } from '../src/index.js';

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class ReplicaRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** @param maxInFlight requests sent and not yet answered, at least 1 */
  constructor(private readonly maxInFlight: number, private readonly who: string) {}

  /** Requests waiting for an answer. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * A new request: its id, and the promise its answer settles. `send(id)`
   * posts it; if that throws, the request is forgotten and the promise
   * rejects with what it threw.
   */
  open<T>(send: (id: number) => void): Promise<T> {
    if (this.pending.size >= this.maxInFlight) {
      return Promise.reject(new TidalError(
        'TooManyRequests', `${this.who} has ${this.pending.size} requests in flight (maxInFlightRequests): await some before sending more`,
      ));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        send(id);
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  /** Settles request `id`; false if no such request waits (already settled or never sent). */
  settle(id: number, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    if (outcome.ok) p.resolve(outcome.value);
    else p.reject(outcome.error);
    return true;
  }

  /** Rejects every waiting request with `error`. */
  rejectAll(error: unknown): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }
}
