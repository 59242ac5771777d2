/**
 * One minimal, deterministic test for each distinct defect the fuzzers in
 * this directory found. Each is named by its id.
 *
 * - FRAME-*: in streams/transports, fixed with the test.
 * - the others: in src/, found while src was being reworked for issue 7 and
 *   fixed there (9e70032). A new one in src gets an `it.skip` test marked
 *   `// KNOWN <id>: <what fails>` until it is fixed, and the fuzz properties
 *   it breaks are skipped with `// BLOCKED on src fix: <ids>`.
 */
import { Packr } from 'msgpackr';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TidalDb, WalError, type WalSegmentPayload } from '../../src/index.js';
import { decodeCheckpoint } from '../../src/db/checkpoint.js';
import { decodeSegment } from '../../src/wal/decodeSegment.js';
import { MemorySegmentStore } from '../../src/wal/memorySegmentStore.js';
import { decodeMessage, encodeMessage } from '../../streams/transports/tcpMessages.js';
import { checkpointVersion2 } from './checkpointVersion2.js';
import { assembleCheckpoint, parseCheckpointParts } from './checkpointParts.js';
import { setByKeys } from './mpTreeEdit.js';
import { f64, fromJs, int, map, type Mp, str, writeMsgpack } from './msgpackWriter.js';
import { payloadOf } from './payloadOf.js';
import { buildRealLog, type RealLog } from './realLog.js';
import { view } from './segmentParts.js';
import { build, openWorkbench } from './segmentWorkbench.js';
import { isTypedError } from './typedErrors.js';
import { isWellFormedString } from './validContent.js';

let log: RealLog;
beforeAll(async () => {
  log = await buildRealLog();
});

const opened: TidalDb[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) if (!db.isClosed()) await db.close().catch(() => undefined);
});

/** What `run` threw, or null. */
function thrown(run: () => unknown): unknown {
  try {
    run();
    return null;
  } catch (err) {
    return err;
  }
}

/** Segment `i` of the real log with its meta edited at `keys`, every checksum recomputed. */
function withMeta(i: number, keys: string[], value: Mp): Uint8Array {
  const wb = openWorkbench(log.segments[i]!.bytes);
  wb.meta = setByKeys(wb.meta, keys, value);
  return build(wb);
}

/** Segment `i` of the real log with its footer's sealed-at time set to `ms`, every checksum recomputed. */
function sealedAt(i: number, ms: number): Uint8Array {
  const wb = openWorkbench(log.segments[i]!.bytes);
  view(wb.footer!).setFloat64(16, ms, true);
  return build(wb);
}

/** Segment `i` of the real log relabelled with segment id `id` in its header, every checksum recomputed. */
function relabelled(i: number, id: bigint): WalSegmentPayload {
  const wb = openWorkbench(log.segments[i]!.bytes);
  view(wb.header).setBigUint64(16, id, true);
  return payloadOf(build(wb));
}

/** The version 2 checkpoint with its body edited in JS (decoded by msgpackr, re-encoded by the test writer). */
function checkpointWith(edit: (body: Record<string, any>) => void): Uint8Array {
  const parts = parseCheckpointParts(checkpointVersion2(log.checkpoint.seq));
  const body = new Packr({ useRecords: false }).unpack(parts.body) as Record<string, any>;
  edit(body);
  return assembleCheckpoint({ fields: parts.fields, body: writeMsgpack(fromJs(body)) });
}

async function follower(store = new MemorySegmentStore()): Promise<TidalDb> {
  const db = await TidalDb.open({ role: 'follower', store });
  opened.push(db);
  return db;
}

describe('fixed in streams/transports', () => {
  it('FRAME-T-BIGINT: a message whose t is a msgpack uint64 is refused as Corruption, not a TypeError from JSON.stringify', () => {
    const body = writeMsgpack(map([[str('t'), { t: 'int', v: 2n ** 64n - 1n, width: 'u64' }]]));
    const err = thrown(() => decodeMessage(body));
    expect(err).toBeInstanceOf(WalError);
    expect((err as WalError).code).toBe('Corruption');
    expect((err as WalError).message).toMatch(/unknown message type t=18446744073709551615/);
  });

  it('FRAME-REASON-SURROGATE: a refusal reason cut to 1024 chars does not cut a surrogate pair in half', () => {
    const reason = `${'a'.repeat(1023)}😀 and more`;
    const frame = encodeMessage({ t: 'refuse', reason }, 1 << 20);
    const m = decodeMessage(frame.subarray(4));
    expect(m.t).toBe('refuse');
    const cut = (m as { reason: string }).reason;
    expect(cut.length).toBeLessThanOrEqual(1024);
    expect(isWellFormedString(cut), `reason ends in ${cut.charCodeAt(cut.length - 1).toString(16)}`).toBe(true);
    expect(cut).toBe('a'.repeat(1023));
  });
});

describe('fixed in src', () => {
  // FIXED SEG-META-BIGINT-KEY: segment meta maps decode as Maps (any key type); a half-life keyed by a msgpack uint64 (a BigInt) makes decodeSegment throw a plain TypeError from JSON.stringify(type) (halfLivesFromEntries, src/ledger/halfLives.ts)
  it('SEG-META-BIGINT-KEY: a half-life keyed by a BigInt in segment meta is refused as Corruption', () => {
    const meta = map([
      [str('r'), str('fuzz-region')],
      [str('h'), map([[str('d'), int(3_600_000)], [str('t'), map([[{ t: 'int', v: 2n ** 53n, width: 'u64' }, int(600_000)]])]])],
      [str('e'), int(0)],
    ]);
    const wb = openWorkbench(log.segments[0]!.bytes);
    wb.meta = meta;
    const err = thrown(() => decodeSegment(build(wb), 'forged', 'sealed'));
    expect(err).toBeInstanceOf(WalError);
  });

  // FIXED CKPT-STRING-COERCE: checkpoint body errors render untrusted values with String(); a body map decoded to an object whose toString is not a function makes that throw a plain TypeError ("Cannot convert object to primitive value") from decodeCheckpoint and installCheckpoint: masses, ledger half-lives, default half-life, epoch (src/db/checkpointBody.ts, src/ledger/halfLives.ts halfLifeOrFail)
  it('CKPT-STRING-COERCE: unprintable values in a checkpoint body are refused with typed errors', () => {
    const inputs: Array<[string, () => unknown]> = [
      ['checkpoint mass', () => decodeCheckpoint(checkpointWith((b) => { b.ledger.view.masses[0][1] = { toString: null }; }), 0, 'forged')],
      ['checkpoint ledger half-life', () => decodeCheckpoint(checkpointWith((b) => { b.ledger.view.halfLifeMs = { toString: null }; }), 0, 'forged')],
      ['checkpoint default half-life', () => decodeCheckpoint(checkpointWith((b) => { b.halfLives.defaultMs = { toString: null }; }), 0, 'forged')],
      ['checkpoint epoch', () => decodeCheckpoint(checkpointWith((b) => { b.epoch = { toString: null }; }), 0, 'forged')],
    ];
    const untyped = inputs.filter(([, run]) => {
      const err = thrown(run);
      return err !== null && !isTypedError(err);
    }).map(([what]) => what);
    expect(untyped).toEqual([]);
  });

  // FIXED PAYLOAD-STRING-COERCE: applySegment with a payload field (shardId, segmentId, firstSeq, lastSeq, sealedAtMs) that is an object String() cannot print ({ toString: null }, Object.create(null)) rejects with a plain TypeError, from the error message of the field check (src/wal/verifyPayload.ts)
  it('PAYLOAD-STRING-COERCE: a payload field String() cannot print is refused with a typed error', async () => {
    const db = await follower();
    const untyped: string[] = [];
    for (const field of ['shardId', 'segmentId', 'firstSeq', 'lastSeq', 'sealedAtMs']) {
      for (const value of [{ toString: null }, Object.create(null)]) {
        const err = await db.applySegment({ ...log.segments[0]!, [field]: value } as unknown as WalSegmentPayload).then(() => null, (e: unknown) => e);
        if (!isTypedError(err)) untyped.push(`${field}: ${String((err as Error)?.message)}`);
      }
    }
    expect(untyped).toEqual([]);
    expect(db.lastSeq).toBe(0);
  });

  // FIXED SEG-FOOTER-TIME: decodeSegment does not check the footer's sealed-at time: it accepts NaN, ±Infinity and times outside ±MAX_ABS_AT_MS and hands them out as footer.sealedAtMs (applySegment refuses them, but recovery on open decodes local segments with the same decoder) (src/wal/segmentFooter.ts, src/wal/decodeSegment.ts)
  it('SEG-FOOTER-TIME: a sealed-at time that is not a legal time is refused as Corruption', async () => {
    const accepted = [NaN, Infinity, -Infinity, -8.64e15 - 1, 1e300].filter((ms) => thrown(() => decodeSegment(sealedAt(0, ms), 'forged', 'sealed')) === null);
    expect(accepted).toEqual([]);
    const db = await follower();
    await expect(db.applySegment(payloadOf(sealedAt(0, 1e300)))).rejects.toBeInstanceOf(WalError);
    expect(db.wal.sealedSegments).toEqual([]);
  });

  // FIXED SEG-ID-ZERO: applySegment accepts a segment whose header (and payload) name segment id 0, stores it, and the follower can no longer open: "starts at seqno 6 but the log before it ends at 0: a segment is missing" (src/db/tidalDb.ts applySegment$: segment ids are not checked)
  it('SEG-ID-ZERO: a segment numbered 0 is refused, and the follower still reopens', async () => {
    const store = new MemorySegmentStore();
    const db = await follower(store);
    await db.applySegment(payloadOf(Uint8Array.from(log.segments[0]!.bytes)));
    await expect(db.applySegment(relabelled(1, 0n))).rejects.toBeInstanceOf(WalError);
    expect(db.lastSeq).toBe(log.segments[0]!.lastSeq);
    await expect(follower(store)).resolves.toBeInstanceOf(TidalDb);
  });

  // FIXED SEG-ID-REUSED: applySegment accepts a segment that reuses an id the follower already stores (segment 3's bytes labelled 1) and overwrites the stored segment 1: reading back segment 1 no longer matches its index entry (src/db/tidalDb.ts applySegment$, src/wal/wal.ts storeSealed$)
  it('SEG-ID-REUSED: a segment reusing a stored segment id is refused, and the stored one is kept', async () => {
    const db = await follower();
    for (const s of log.segments.slice(0, 2)) await db.applySegment(payloadOf(Uint8Array.from(s.bytes)));
    await expect(db.applySegment(relabelled(2, 1n))).rejects.toBeInstanceOf(WalError);
    const readBack: WalSegmentPayload[] = [];
    for await (const p of db.wal.sealedSegmentsSince(0)) readBack.push(p);
    expect(readBack.map((p) => Buffer.from(p.bytes).toString('hex'))).toEqual(log.segments.slice(0, 2).map((s) => Buffer.from(s.bytes).toString('hex')));
  });

  // FIXED EPOCH-NEGZERO: an epoch written as float64 -0 (in segment meta or a checkpoint body) is accepted as -0; after a reopen the follower's epoch reads +0, so its state differs from before the reopen (src/wal/segmentHeader.ts, src/db/checkpointBody.ts: -0 passes Number.isSafeInteger and >= 0)
  it('EPOCH-NEGZERO: an epoch of -0 is refused or read as 0, the same before and after a reopen', async () => {
    const segmentStore = new MemorySegmentStore();
    const bySegment = await follower(segmentStore);
    const applied = await bySegment.applySegment(payloadOf(withMeta(0, ['e'], f64(-0)))).then(() => true, (err: unknown) => isTypedError(err));
    expect(applied).toBe(true);
    if (bySegment.lastSeq > 0) {
      expect(Object.is(bySegment.epoch, 0), `epoch ${Object.is(bySegment.epoch, -0) ? '-0' : bySegment.epoch}`).toBe(true);
      expect(Object.is((await follower(segmentStore)).epoch, 0)).toBe(true);
    }
    const checkpointStore = new MemorySegmentStore();
    const byCheckpoint = await follower(checkpointStore);
    const installed = await byCheckpoint.installCheckpoint(checkpointWith((b) => { b.epoch = -0; })).catch((err: unknown) => {
      expect(isTypedError(err)).toBe(true);
      return false;
    });
    if (installed) {
      expect(Object.is(byCheckpoint.epoch, 0), `epoch ${Object.is(byCheckpoint.epoch, -0) ? '-0' : byCheckpoint.epoch}`).toBe(true);
      expect(Object.is((await follower(checkpointStore)).epoch, 0)).toBe(true);
    }
  });
});

