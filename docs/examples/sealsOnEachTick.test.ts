import { map } from 'rxjs';
import { marbles } from 'rxjs-marbles';
import { it } from 'vitest';
import { TidalDb } from 'tidaldb';
import { sealedSegments } from 'tidaldb/streams';

const db = await TidalDb.open();
await db.signal({ itemId: 'song-1', type: 'view' });
await db.signal({ itemId: 'song-2', type: 'view' });

it('seals on each tick, and not when there is nothing to seal', marbles((m) => {
  const ticks = m.hot('-----t-----t');
  m.expect(sealedSegments(db, ticks).pipe(map((s) => s.lastSeq))).toBeObservable('-----a-----', { a: 2 });
}));
