import { marbles } from 'rxjs-marbles';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TidalError } from '../../../src/index.js';
import { InProcessTransport } from '../../../streams/index.js';
import { BoundedChannel } from '../../../streams/transports/boundedChannel.js';
import { memoryLeader, sealedSegment } from '../fixtures.js';

describe('BoundedChannel', () => {
  it('accepts up to capacity, then makes senders wait until a receive frees a slot; nothing is dropped', marbles((m) => {
    const channel = new BoundedChannel<string>(2);
    const sends = m.cold('abc|').pipe(map((x) => x));
    const accepted: string[] = [];
    sends.subscribe((x) => channel.send$(x).subscribe(() => accepted.push(`${x}@${m.scheduler.now()}`)));
    m.cold('-----r').subscribe(() => channel.receive$().subscribe());
    m.flush();
    expect(accepted).toEqual(['a@0', 'b@1', 'c@5']);
    expect(channel.size).toBe(2);
  }));

  it('hands an item straight to a waiting receiver', () => {
    const channel = new BoundedChannel<number>(1);
    const got: number[] = [];
    channel.receive$().subscribe((x) => got.push(x));
    channel.send$(7).subscribe();
    expect(got).toEqual([7]);
    expect(channel.size).toBe(0);
  });

  it('withdraws a waiting send when it is unsubscribed', () => {
    const channel = new BoundedChannel<number>(1);
    channel.send$(1).subscribe();
    const waiting = channel.send$(2).subscribe();
    expect(channel.waitingSenders).toBe(1);
    waiting.unsubscribe();
    expect(channel.waitingSenders).toBe(0);
    const got: number[] = [];
    channel.receive$().subscribe((x) => got.push(x));
    channel.receive$().subscribe((x) => got.push(x));
    expect(got).toEqual([1]);
  });

  it('close() errors every waiting sender and receiver: nothing waits forever', () => {
    const channel = new BoundedChannel<number>(1);
    channel.send$(1).subscribe();
    const errors: unknown[] = [];
    channel.send$(2).subscribe({ error: (e) => errors.push(e) });
    const empty = new BoundedChannel<number>(1);
    empty.receive$().subscribe({ error: (e) => errors.push(e) });
    const err = new TidalError('Closed', 'closed');
    channel.close(err);
    empty.close(err);
    expect(errors).toEqual([err, err]);
  });
});

describe('InProcessTransport', () => {
  it('sendSegment resolves once the peer buffer accepted it, and waits while it is full (backpressure)', async () => {
    const leader = await memoryLeader(() => 0);
    const [a, b] = [await sealedSegment(leader, 2), await sealedSegment(leader, 2)];
    const transport = new InProcessTransport({ capacity: 1 });
    await transport.sendSegment('f', a);
    let secondAccepted = false;
    const second = transport.sendSegment('f', b).then(() => (secondAccepted = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(secondAccepted).toBe(false);
    expect(await transport.recvSegment('f')).toBe(a);
    await second;
    expect(secondAccepted).toBe(true);
    expect(await transport.recvSegment('f')).toBe(b);
    transport.close();
  });

  it('keeps peers separate: one full peer does not block another', async () => {
    const leader = await memoryLeader(() => 0);
    const a = await sealedSegment(leader, 2);
    const transport = new InProcessTransport({ capacity: 1 });
    await transport.sendSegment('slow', a);
    const blocked = transport.sendSegment('slow', a);
    await transport.sendSegment('fast', a);
    expect(transport.buffered('slow')).toBe(1);
    expect(transport.buffered('fast')).toBe(1);
    transport.close();
    await expect(blocked).rejects.toMatchObject({ code: 'Closed' });
  });

  it('close() rejects pending sends and receives with Closed', async () => {
    const transport = new InProcessTransport({ capacity: 1 });
    const pending = transport.recvSegment('f');
    transport.close();
    await expect(pending).rejects.toMatchObject({ code: 'Closed' });
  });

  it('refuses a capacity below 1', () => {
    expect(() => new InProcessTransport({ capacity: 0 })).toThrowError(/capacity must be an integer >= 1/);
  });
});
