import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake3Digest, Checksum, createHasher } from '../src/checksum.js';
import { WalError } from '../src/index.js';

describe('BLAKE3 behind one module: the WASM implementation gives the same bytes as @noble/hashes', () => {
  it('one-shot and incremental digests equal the reference for any input and chunking', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(5000), { maxLength: 5 }), (data, cuts) => {
      const reference = blake3(data);
      expect(blake3Digest(data)).toEqual(reference);
      const hasher = createHasher();
      let from = 0;
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        hasher.update(data.subarray(from, Math.max(from, Math.min(cut, data.length))));
        from = Math.max(from, Math.min(cut, data.length));
      }
      expect(hasher.update(data.subarray(from)).digest()).toEqual(reference);
    }), { seed: 7, numRuns: 200 });
  });

  it('hashes past 1 MiB the same (the WASM side chunks internally)', () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    expect(blake3Digest(big)).toEqual(blake3(big));
  });
});

describe('Checksum', () => {
  it('parses what it formats and names a bad value', () => {
    const c = Checksum.of(new TextEncoder().encode('abc'));
    expect(Checksum.parse(c.toHex()).equals(c)).toBe(true);
    expect(c.matches(new TextEncoder().encode('abc'))).toBe(true);
    expect(() => Checksum.parse('xyz')).toThrowError(WalError);
    expect(() => Checksum.parse('xyz')).toThrowError('invalid checksum format: "xyz"');
  });
});
