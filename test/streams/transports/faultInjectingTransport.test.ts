import { take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FaultInjectingTransport, InProcessTransport, type Transport, WorkerTransport } from '../../../streams/index.js';

describe('FaultInjectingTransport offers what the transport it wraps offers', () => {
  it('around both ends (InProcessTransport) it is a Transport: the follower end passes through untouched', () => {
    const inner = new InProcessTransport({ capacity: 4 });
    const faulty: Transport = new FaultInjectingTransport(inner, { plan: () => 'duplicate' });
    expect(faulty).toBeInstanceOf(FaultInjectingTransport);
    const segment = { kind: 'checkpoint', shardId: 0, seq: 1, bytes: new Uint8Array([1]), checksum: null as never } as const;
    let accepted = 0;
    faulty.send$('f1', segment).subscribe(() => accepted++);
    expect(accepted).toBe(1);
    expect(inner.buffered('f1')).toBe(2);
    const received: unknown[] = [];
    faulty.segments('f1').pipe(take(2)).subscribe((s) => received.push(s));
    expect(received).toEqual([segment, segment]);
    inner.close();
  });

  it('around a leader end alone (a WorkerTransport) it is a LeaderTransport, with no follower method at all', () => {
    const workers = new WorkerTransport();
    const faulty = new FaultInjectingTransport(workers, { plan: () => 'pass' });
    for (const method of ['recvSegment', 'receive$', 'segments', 'sendFeedback', 'status']) expect(method in faulty, method).toBe(false);
    expect(typeof faulty.send$).toBe('function');
    workers.close();
  });
});
