import { TidalDb } from 'tidaldb';

const db = await TidalDb.open({
  // dir: './data',                                 // on disk; omitted, in memory (the same segments, held in memory)
  halfLifeMs: { view: 3_600_000, like: 86_400_000 }, // per signal type; '*' sets the default (one day)
});

await db.writeItem({ id: 'song-1', text: 'Quiet River Sessions', fields: { artist: 'Ada' } });
const seq = await db.signal({ itemId: 'song-1', type: 'view' }); // resolves with its seqno once durable

db.readDecayScore('song-1', 'view');              // sum of weight * 2^(-(now - at) / halfLife)
db.retrieve({ signal: 'view', limit: 10 });       // [{ id, score }], best first, ties by id
db.search({ text: 'river', signal: 'view' });     // every token must match; BM25 blended with the decayed score
console.log(`wrote seqno ${seq}`);
await db.close();
