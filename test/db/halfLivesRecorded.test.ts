/**
 * Half-lives are recorded with the data (segment headers and checkpoints):
 * reopening a directory without `halfLifeMs` adopts the recorded ones, and
 * reopening with different ones is refused with ConfigMismatch, because
 * replaying the same log under other half-lives would give other scores.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TidalDb, TidalError } from '../../src/index.js';
import { copyDir, tempDir } from './tempDirs.js';

const BASE_MS = 1_700_000_000_000;
const clock = () => BASE_MS;
const RECORDED = { like: 1_000, '*': 5_000 } as const;

/** A directory written with RECORDED half-lives, closed (so it holds a checkpoint) or copied mid-flight (WAL only). */
async function writtenDir(kind: 'closed' | 'wal-only'): Promise<string> {
  const dir = tempDir('halflives');
  const db = await TidalDb.open({ dir, halfLifeMs: RECORDED, clock });
  await db.signal({ itemId: 'a', type: 'like', weight: 8, at: BASE_MS });
  await db.signal({ itemId: 'a', type: 'view', weight: 8, at: BASE_MS });
  if (kind === 'closed') {
    await db.close();
    return dir;
  }
  await db.flush();
  const copy = copyDir(dir, 'walonly');
  await db.close();
  expect(fs.readdirSync(copy).some((f) => f.endsWith('.checkpoint'))).toBe(false);
  return copy;
}

/** The data files: a crash copy also holds the dead writer's LOCK, which any open takes over and releases. */
function listing(dir: string): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(dir).filter((f) => !f.startsWith('LOCK')).sort().map((f) => [f, fs.statSync(path.join(dir, f)).size]));
}

for (const kind of ['closed', 'wal-only'] as const) {
  const source = kind === 'closed' ? 'its checkpoint' : 'its WAL segment headers';

  describe(`half-lives are recorded with the data: reopening without halfLifeMs adopts them (from ${source})`, () => {
    it('scores decay with the recorded per-type and default half-lives', async () => {
      const dir = await writtenDir(kind);
      const db = await TidalDb.open({ dir, clock });
      expect(db.readDecayScore('a', 'like', BASE_MS + 3_000)).toBeCloseTo(1, 12);
      expect(db.readDecayScore('a', 'view', BASE_MS + 15_000)).toBeCloseTo(1, 12);
      await db.close();
    });

    it('a type first written after the reopen decays with the recorded default, not the built-in one', async () => {
      const dir = await writtenDir(kind);
      const db = await TidalDb.open({ dir, clock });
      await db.signal({ itemId: 'b', type: 'share', weight: 4, at: BASE_MS });
      expect(db.readDecayScore('b', 'share', BASE_MS + 10_000)).toBeCloseTo(1, 12);
      await db.close();
    });

    it('reopening with the same half-lives written another way is accepted', async () => {
      const dir = await writtenDir(kind);
      const db = await TidalDb.open({ dir, halfLifeMs: { '*': 5_000, like: 1_000, view: 5_000 }, clock });
      expect(db.readDecayScore('a', 'like', BASE_MS + 1_000)).toBeCloseTo(4, 12);
      await db.close();
    });
  });

  describe(`reopening with conflicting half-lives is refused with ConfigMismatch (recorded in ${source})`, () => {
    const conflicts: Array<[string, number | Record<string, number>]> = [
      ['a different per-type half-life', { like: 2_000, '*': 5_000 }],
      ['a different default', { like: 1_000, '*': 6_000 }],
      ['one number for all types', 1_000],
      ['the built-in default, spelled out', 86_400_000],
    ];
    for (const [name, halfLifeMs] of conflicts) {
      it(`${name} is refused, naming both settings, and the directory is left as it was`, async () => {
        const dir = await writtenDir(kind);
        const before = listing(dir);
        let error: unknown;
        try {
          await TidalDb.open({ dir, halfLifeMs, clock });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(TidalError);
        const e = error as TidalError;
        expect(e.code).toBe('ConfigMismatch');
        expect(e.message).toMatch(/half-lives/);
        expect(e.message).toContain('like=1000');
        expect(e.message).toContain('default=5000');
        expect(listing(dir)).toEqual(before);
        const again = await TidalDb.open({ dir, clock });
        expect(again.lastSeq).toBe(2);
        await again.close();
      });
    }
  });
}
