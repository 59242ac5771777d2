import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { createBLAKE3 } from 'hash-wasm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BLAKE3_ENV, blake3Digest, blake3Implementation, Checksum, createHasher, loadBlake3, type Blake3 } from '../src/checksum.js';
import { TidalError, WalError } from '../src/index.js';

/** `data` cut at `cuts` (clamped, sorted): the chunks a streaming hasher is fed. */
function chunked(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const to = Math.max(from, Math.min(cut, data.length));
    chunks.push(data.subarray(from, to));
    from = to;
  }
  chunks.push(data.subarray(from));
  return chunks;
}

/** One-shot and streaming digests of `impl` equal @noble/hashes' reference for any input and chunking. */
function agreesWithReference(digest: (bytes: Uint8Array) => Uint8Array, stream: (chunks: Uint8Array[]) => Uint8Array): void {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(5000), { maxLength: 5 }), (data, cuts) => {
    const reference = blake3(data);
    expect(digest(data)).toEqual(reference);
    expect(stream(chunked(data, cuts))).toEqual(reference);
  }), { seed: 7, numRuns: 200 });
}

describe('BLAKE3 behind one module: the WASM implementation gives the same bytes as @noble/hashes', () => {
  it.skipIf(process.env[BLAKE3_ENV] === 'noble')('hashes with hash-wasm by default', () => {
    expect(blake3Implementation).toBe('hash-wasm');
  });

  it('one-shot and incremental digests equal the reference for any input and chunking', () => {
    agreesWithReference(blake3Digest, (chunks) => {
      const hasher = createHasher();
      for (const c of chunks) hasher.update(c);
      return hasher.digest();
    });
  });

  it('hashes past 1 MiB the same (the WASM side chunks internally)', () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    expect(blake3Digest(big)).toEqual(blake3(big));
  });
});

describe('the @noble/hashes fallback, where WebAssembly is unavailable or TIDALDB_BLAKE3=noble asks for it', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  /** A WASM loader that records whether it was called and fails as a CSP without wasm-unsafe-eval makes it. */
  function refusedByCsp(): { calls: number; load: () => Promise<never> } {
    const loader = {
      calls: 0,
      load: () => {
        loader.calls++;
        // What V8 throws (a WebAssembly.CompileError; lib ES2022 has no WebAssembly types) under such a policy.
        const refused = new Error("WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source");
        refused.name = 'CompileError';
        return Promise.reject(refused);
      },
    };
    return loader;
  }

  it('TIDALDB_BLAKE3=noble never loads WASM, and its digests equal hash-wasm\'s and the reference', async () => {
    const wasm = refusedByCsp();
    const noble = await loadBlake3('noble', wasm.load);
    expect(noble.implementation).toBe('noble');
    expect(noble.fallbackReason).toBeUndefined();
    expect(wasm.calls).toBe(0);

    const viaWasm = await loadBlake3(undefined, createBLAKE3);
    expect(viaWasm.implementation).toBe('hash-wasm');
    const digestOf = (impl: Blake3) => (bytes: Uint8Array) => impl.digestChunks([bytes]);
    agreesWithReference(digestOf(noble), (chunks) => noble.digestChunks(chunks));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(3000), { maxLength: 4 }), (data, cuts) => {
      expect(noble.digestChunks(chunked(data, cuts))).toEqual(viaWasm.digestChunks([data]));
      expect(noble.digestChunks([data])).toEqual(viaWasm.digestChunks(chunked(data, cuts)));
    }), { seed: 11, numRuns: 100 });
  });

  it('falls back to @noble/hashes when WASM instantiation fails (auto, the default), and says why', async () => {
    for (const choice of [undefined, '', 'auto']) {
      const wasm = refusedByCsp();
      const impl = await loadBlake3(choice, wasm.load);
      expect(wasm.calls).toBe(1);
      expect(impl.implementation).toBe('noble');
      expect(impl.fallbackReason).toMatch(/^WebAssembly BLAKE3 unavailable: .*Refused to compile/);
      expect(impl.digestChunks([new TextEncoder().encode('abc')])).toEqual(blake3(new TextEncoder().encode('abc')));
    }
  });

  it('the module itself takes the flag: imported with TIDALDB_BLAKE3=noble, it hashes with @noble/hashes, the same bytes', async () => {
    vi.stubEnv(BLAKE3_ENV, 'noble');
    vi.resetModules();
    const fresh = await import('../src/checksum.js');
    expect(fresh.blake3Implementation).toBe('noble');
    expect(fresh.blake3FallbackReason).toBeUndefined();
    agreesWithReference(fresh.blake3Digest, (chunks) => {
      const hasher = fresh.createHasher();
      for (const c of chunks) hasher.update(c);
      return hasher.digest();
    });
    const abc = new TextEncoder().encode('abc');
    expect(fresh.Checksum.of(abc).toHex()).toBe(Checksum.of(abc).toHex());
  });

  it('the module itself falls back: imported where WebAssembly does not exist (node --jitless), it hashes with @noble/hashes', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const fresh = await import('../src/checksum.js');
    vi.unstubAllGlobals();
    expect(fresh.blake3Implementation).toBe('noble');
    expect(fresh.blake3FallbackReason).toMatch(/WebAssembly is not supported/);
    const data = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    expect(fresh.createHasher().update(data.subarray(0, 4097)).update(data.subarray(4097)).digest()).toEqual(blake3Digest(data));
  });

  it('refuses a TIDALDB_BLAKE3 value it does not know, naming it', async () => {
    await expect(loadBlake3('wasm-please')).rejects.toThrowError(TidalError);
    await expect(loadBlake3('wasm-please')).rejects.toThrowError(`TIDALDB_BLAKE3 must be 'auto' or 'noble' (or unset), got "wasm-please"`);
  });
});

describe('Checksum', () => {
  it('parses what it formats and names a bad value', () => {
    const c = Checksum.of(new TextEncoder().encode('abc'));
    expect(c.toHex()).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'); // BLAKE3's published test value
    expect(Checksum.parse(c.toHex()).equals(c)).toBe(true);
    expect(c.matches(new TextEncoder().encode('abc'))).toBe(true);
    expect(() => Checksum.parse('xyz')).toThrowError(WalError);
    expect(() => Checksum.parse('xyz')).toThrowError('invalid checksum format: "xyz"');
  });
});
