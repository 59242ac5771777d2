/**
 * Two connected ports for the worker transport's own logic in virtual
 * time: a message posted on one end is delivered to the other end's
 * listeners by the scheduler (delay 0, in order), as a MessagePort
 * delivers on a later turn. It goes through `structuredClone` with the
 * transfer list, so a transferred buffer is detached on the sending side
 * exactly as a real MessagePort detaches it.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { SchedulerLike } from 'rxjs';
import type { WorkerPort } from '../../../streams/transports/workerTransportMessages.js';

type Listener = (message: unknown) => void;
/** structuredClone's options (its Transferable type is the DOM's; a TransferListItem is one). */
type CloneOptions = NonNullable<Parameters<typeof structuredClone>[1]>;

export class VirtualPort implements WorkerPort {
  /** Messages posted from this end so far (as delivered). */
  readonly posted: unknown[] = [];
  private readonly listeners = new Set<Listener>();
  private other: VirtualPort | null = null;
  private severed = false;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Two ports of one channel. */
  static pair(scheduler: SchedulerLike): [VirtualPort, VirtualPort] {
    const a = new VirtualPort(scheduler);
    const b = new VirtualPort(scheduler);
    a.other = b;
    b.other = a;
    return [a, b];
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  postMessage(value: unknown, transferList: readonly TransferListItem[] = []): void {
    if (this.severed) return;
    const copy = structuredClone(value, { transfer: [...transferList] } as CloneOptions);
    this.posted.push(copy);
    const other = this.other!;
    this.scheduler.schedule(() => {
      if (!this.severed) for (const l of [...other.listeners]) l(copy);
    }, 0);
  }

  on(_event: 'message', listener: Listener): this {
    this.listeners.add(listener);
    return this;
  }

  off(_event: 'message', listener: Listener): this {
    this.listeners.delete(listener);
    return this;
  }

  /** Nothing more is delivered either way, including what is on its way (the worker died). */
  sever(): void {
    this.severed = true;
    this.other!.severed = true;
  }
}
