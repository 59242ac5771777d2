/**
 * `tidaldb leader --ingest`, in pieces: the bounded line reader, the line
 * format, and the ingest loop against a real database (bad lines, --strict,
 * durability, bounded memory).
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { TidalDb } from '../../src/index.js';
import { INGEST_GROUP_WRITES } from '../../streams/cli/ingestLimits.js';
import { type IngestLine, ingestLines } from '../../streams/cli/ingestLines.js';
import { ingestNdjson, type IngestTarget } from '../../streams/cli/ingestNdjson.js';
import { parseIngestLine } from '../../streams/cli/parseIngestLine.js';
import { copyDir, tempDir } from '../db/tempDirs.js';

const AT = Date.UTC(2026, 0, 1);
const opened: TidalDb[] = [];

afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function lines(chunks: Array<string | Uint8Array>, maxLineBytes?: number): Promise<IngestLine[]> {
  const out: IngestLine[] = [];
  for await (const line of ingestLines(Readable.from(chunks, { objectMode: true }), maxLineBytes)) out.push(line);
  return out;
}

async function open(dir?: string): Promise<TidalDb> {
  const db = await TidalDb.open({ ...(dir && { dir }), halfLifeMs: { view: 3_600_000 } });
  opened.push(db);
  return db;
}

function signal(itemId: string, weight = 1): string {
  return JSON.stringify({ signal: { itemId, type: 'view', weight, at: AT } });
}

function ingest(db: IngestTarget, text: string | string[], strict = false, abort = new AbortController()) {
  const bad: string[] = [];
  const source = Readable.from(Array.isArray(text) ? text : [text]);
  const done = ingestNdjson(db, source, { strict, signal: abort.signal, onBadLine: (n, p) => bad.push(`${n}: ${p}`) });
  return { done, bad };
}

describe('ingestLines', () => {
  it('splits at \\n across chunk boundaries, drops CRs before newlines and a BOM on line 1, and keeps a last line without a newline', async () => {
    expect(await lines(['\uFEFFa', 'b\r\n', 'c\nd\n\n', 'e\uFEFF\r', '\nf'])).toEqual([
      { lineNo: 1, text: 'ab' }, { lineNo: 2, text: 'c' }, { lineNo: 3, text: 'd' }, { lineNo: 4, text: '' }, { lineNo: 5, text: 'e\uFEFF' }, { lineNo: 6, text: 'f' },
    ]);
    expect(await lines(['x\n'])).toEqual([{ lineNo: 1, text: 'x' }]);
    expect(await lines([])).toEqual([]);
  });

  it('a line over the bound is a problem naming its length, read past without being held; the next line is read normally', async () => {
    const long = Array.from({ length: 100 }, () => 'y'.repeat(1000)); // 100,000 bytes in 100 chunks
    const out = await lines(['ok\n', ...long, '\nnext\n'], 10);
    expect(out).toEqual([
      { lineNo: 1, text: 'ok' },
      { lineNo: 2, problem: 'line is 100,000 bytes long, over the 10-byte limit' },
      { lineNo: 3, text: 'next' },
    ]);
    expect(await lines(['1234567890\r\n'], 10)).toEqual([{ lineNo: 1, text: '1234567890' }]); // the CR is not counted
  });

  it('invalid UTF-8 is a problem; a multi-byte character split across chunks is not', async () => {
    const euro = Buffer.from('€');
    expect(await lines([euro.subarray(0, 1), Buffer.concat([euro.subarray(1), Buffer.from('\n')]), Buffer.from([0xff, 0x0a])])).toEqual([
      { lineNo: 1, text: '€' }, { lineNo: 2, problem: 'line is not valid UTF-8' },
    ]);
  });
});

describe('parseIngestLine', () => {
  it('{"signal": …} and {"item": …} are writes; a blank line is nothing', () => {
    expect(parseIngestLine('{"signal":{"itemId":"a","type":"view"}}')).toEqual({ kind: 'signal', input: { itemId: 'a', type: 'view' } });
    expect(parseIngestLine(' {"item": {"id": "a", "text": "x"}} ')).toEqual({ kind: 'item', input: { id: 'a', text: 'x' } });
    expect(parseIngestLine('  \t')).toEqual({ kind: 'blank' });
  });

  it('anything else is bad, saying what was expected and what was found', () => {
    expect(parseIngestLine('{"signal":')).toEqual({ kind: 'bad', problem: expect.stringMatching(/^invalid JSON: /) });
    expect(parseIngestLine('[1]')).toEqual({ kind: 'bad', problem: 'expected a JSON object with one key, "signal" or "item", got an array' });
    expect(parseIngestLine('"hi"')).toEqual({ kind: 'bad', problem: 'expected a JSON object with one key, "signal" or "item", got a string "hi"' });
    expect(parseIngestLine('42')).toEqual({ kind: 'bad', problem: 'expected a JSON object with one key, "signal" or "item", got number 42' });
    expect(parseIngestLine('{"like":{}}')).toEqual({ kind: 'bad', problem: 'expected one key, "signal" or "item", got "like"' });
    expect(parseIngestLine('{}')).toEqual({ kind: 'bad', problem: 'expected one key, "signal" or "item", got no key' });
    expect(parseIngestLine('{"signal":{},"item":{}}')).toEqual({ kind: 'bad', problem: 'expected one key, "signal" or "item", got "signal", "item"' });
    expect(parseIngestLine('{"__proto__":{}}')).toEqual({ kind: 'bad', problem: 'expected one key, "signal" or "item", got "__proto__"' });
  });
});

describe('ingestNdjson', () => {
  it('writes every good line, reports each bad one with its line number (shape, JSON, refused by the database) and skips it', async () => {
    const db = await open();
    const input = [
      JSON.stringify({ item: { id: 'a', text: 'quiet river', fields: { artist: 'Ada' } } }),
      signal('a', 2),
      '{"signal": {"itemId": "a", "type": "view"',
      '',
      JSON.stringify({ like: { itemId: 'a' } }),
      JSON.stringify({ signal: { itemId: 'a', type: 'view', weight: 'heavy' } }),
      JSON.stringify({ signal: { itemId: 'b', type: 'view', at: Date.now() + 86_400_000 } }),
      JSON.stringify({ item: { id: 'b', colour: 'red' } }),
      signal('b'),
    ].join('\n');
    const { done, bad } = ingest(db, input);
    expect(await done).toEqual({ lines: 9, written: 3, skipped: 5, stoppedAt: null, interrupted: false });
    expect(bad).toEqual([
      expect.stringMatching(/^3: invalid JSON: /),
      '5: expected one key, "signal" or "item", got "like"',
      expect.stringMatching(/^6: .*weight/),
      expect.stringMatching(/^7: at \d+ is \d+ ms ahead of the database clock/),
      '8: unknown item field "colour"',
    ]);
    expect(db.lastSeq).toBe(3);
    expect(db.getItem('a')).toMatchObject({ id: 'a', text: 'quiet river', fields: { artist: 'Ada' } });
    expect(db.retrieve({ signal: 'view', at: AT }).map((s) => [s.id, s.score])).toEqual([['a', 2], ['b', 1]]);
  });

  it('--strict stops at the first bad line: nothing after it is written, everything before it is durable after a reopen', async () => {
    const dir = tempDir('ingest');
    const db = await open(dir);
    const good = Array.from({ length: 5 }, (_, i) => signal(`s${i}`));
    const { done, bad } = ingest(db, [...good, '{"signal": 1}', signal('after')].join('\n'), true);
    expect(await done).toEqual({ lines: 6, written: 5, skipped: 0, stoppedAt: { lineNo: 6, problem: 'signal must be an object, got 1' }, interrupted: false });
    expect(bad).toEqual([]);
    expect(db.lastSeq).toBe(5);
    const reopened = await open(copyDir(dir)); // as a crash right after the ingest would leave it
    expect(reopened.lastSeq).toBe(5);
    expect(reopened.readDecayScore('after', 'view', AT)).toBe(0);
  });

  it('reads as it writes: at most two groups of writes wait on the disk, and all are durable when it resolves', async () => {
    const dir = tempDir('ingest');
    const db = await open(dir);
    const n = 3 * INGEST_GROUP_WRITES + 17;
    let produced = 0;
    let durable = 0;
    let mostWaiting = 0;
    async function* input(): AsyncGenerator<string> {
      for (let i = 0; i < n; i++) {
        mostWaiting = Math.max(mostWaiting, produced - durable);
        produced++;
        yield `${signal(`item-${i % 50}`)}\n`;
      }
    }
    const counted: IngestTarget = {
      get lastSeq() { return db.lastSeq; },
      signal: (i) => db.signal(i).then((seq) => (durable++, seq)),
      writeItem: (i) => db.writeItem(i),
    };
    const summary = await ingestNdjson(counted, input(), { strict: false, signal: new AbortController().signal, onBadLine: () => undefined });
    expect(summary).toMatchObject({ lines: n, written: n, skipped: 0 });
    expect(mostWaiting).toBeGreaterThan(INGEST_GROUP_WRITES); // writes did overlap the disk
    expect(mostWaiting).toBeLessThanOrEqual(2 * INGEST_GROUP_WRITES);
    const crashed = await open(copyDir(dir)); // the directory as a crash right now would leave it (no close, no checkpoint)
    expect(crashed.lastSeq).toBe(n);
  });

  it('a write refused for another reason than bad input (a closed database) fails the ingest, after what was written', async () => {
    const db = await open();
    let writes = 0;
    const closing: IngestTarget = {
      get lastSeq() { return db.lastSeq; },
      signal: (input) => (++writes === 3 ? Promise.reject(Object.assign(new Error('closed'), { code: 'Closed' })) : db.signal(input)),
      writeItem: (input) => db.writeItem(input),
    };
    const { done } = ingest(closing, [signal('a'), signal('b'), signal('c'), signal('d')].join('\n'));
    await expect(done).rejects.toThrow('closed');
    expect(db.lastSeq).toBe(2);
  });

  it('an abort stops at the next line and still resolves with what was written', async () => {
    const db = await open();
    const abort = new AbortController();
    const source = new Readable({ read() {} });
    source.push(`${signal('a')}\n${signal('b')}\n`);
    const done = ingestNdjson(db, source, { strict: false, signal: abort.signal, onBadLine: () => undefined });
    while (db.lastSeq < 2) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    source.destroy(); // what the owner of the stream does on abort (runLeader does)
    expect(await done).toEqual({ lines: 2, written: 2, skipped: 0, stoppedAt: null, interrupted: true });
  });
});
