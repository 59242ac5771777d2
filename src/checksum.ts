/**
 * BLAKE3-256 behind one small module, so the implementation can change and
 * the bytes cannot.
 *
 * hash-wasm's WASM BLAKE3 does the hashing: measured here at ~480 MB/s
 * against ~20-49 MB/s for @noble/hashes' pure-JS one, which made hashing
 * ~47% of in-memory ingest CPU (every event is hashed three times on the
 * leader: batch, segment footer, shipped payload).
 *
 * @noble/hashes is the BLAKE3 where WebAssembly is not available: when the
 * WASM module cannot be compiled or instantiated (a content-security policy
 * without `wasm-unsafe-eval`, `node --jitless`, a runtime without
 * `WebAssembly`), or when the environment asks for it with
 * `TIDALDB_BLAKE3=noble`. Both give the same digests (the tests check it,
 * with @noble/hashes as the reference); only the speed differs, so the
 * choice is made once, when this module loads, and `blake3Implementation`
 * (and the Prometheus metric `tidaldb_blake3_info`) says which it was.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { createBLAKE3, type IHasher } from 'hash-wasm';
import { TidalError, WalError } from './errors.js';

/** Bytes in a BLAKE3-256 digest. */
export const CHECKSUM_BYTES = 32;

/**
 * The environment variable that picks the BLAKE3 implementation, read once
 * when tidaldb is imported: unset, empty or `auto` for WASM with the
 * @noble/hashes fallback; `noble` for @noble/hashes always. Any other value
 * fails the import with `TidalError` `InvalidInput`.
 */
export const BLAKE3_ENV = 'TIDALDB_BLAKE3';

/** Which BLAKE3 hashes: hash-wasm's WebAssembly one, or @noble/hashes' pure-JS one. */
export type Blake3Implementation = 'hash-wasm' | 'noble';

/** An incremental BLAKE3 hasher: collects chunks (already held in memory) and hashes them at `digest()`. */
export interface Hasher {
  update(bytes: Uint8Array): Hasher;
  digest(): Uint8Array;
}

/** One BLAKE3-256 implementation: bytes in, 32 bytes out, no I/O. */
export interface Blake3 {
  readonly implementation: Blake3Implementation;
  /** Why @noble/hashes is used when WASM was asked for and failed to load; undefined otherwise. */
  readonly fallbackReason: string | undefined;
  /** BLAKE3-256 of the chunks, concatenated. */
  digestChunks(chunks: readonly Uint8Array[]): Uint8Array;
}

/**
 * Picks and loads the BLAKE3 implementation for `choice` (the value of
 * `TIDALDB_BLAKE3`): `noble` never touches WebAssembly; unset, `''` or
 * `auto` try `createWasm` and fall back to @noble/hashes if it rejects.
 *
 * @param choice the env value, or undefined.
 * @param createWasm loads the WASM hasher (hash-wasm's `createBLAKE3`; tests pass one that fails).
 */
export async function loadBlake3(choice: string | undefined, createWasm: () => Promise<IHasher> = createBLAKE3): Promise<Blake3> {
  if (choice === 'noble') return nobleImplementation(undefined);
  if (choice !== undefined && choice !== '' && choice !== 'auto') {
    throw new TidalError('InvalidInput', `${BLAKE3_ENV} must be 'auto' or 'noble' (or unset), got ${JSON.stringify(choice)}`);
  }
  let wasm: IHasher;
  try {
    wasm = await createWasm();
  } catch (err) {
    return nobleImplementation(`WebAssembly BLAKE3 unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }
  return wasmImplementation(wasm);
}

/** One WASM instance, used synchronously: init, update, digest never interleave in one thread. */
function wasmImplementation(wasm: IHasher): Blake3 {
  return {
    implementation: 'hash-wasm',
    fallbackReason: undefined,
    digestChunks(chunks) {
      wasm.init();
      for (const c of chunks) wasm.update(c);
      return wasm.digest('binary');
    },
  };
}

function nobleImplementation(fallbackReason: string | undefined): Blake3 {
  return {
    implementation: 'noble',
    fallbackReason,
    digestChunks(chunks) {
      if (chunks.length === 1) return nobleBlake3(chunks[0]!);
      const h = nobleBlake3.create();
      for (const c of chunks) h.update(c);
      return h.digest();
    },
  };
}

const active = await loadBlake3(process.env[BLAKE3_ENV]);

/** The BLAKE3 this process hashes with, chosen when the module loaded. */
export const blake3Implementation: Blake3Implementation = active.implementation;

/** Why the WASM BLAKE3 is not used under `auto`, or undefined when it is (or `noble` was asked for). */
export const blake3FallbackReason: string | undefined = active.fallbackReason;

/** BLAKE3-256 of `bytes`. */
export function blake3Digest(bytes: Uint8Array): Uint8Array {
  return active.digestChunks([bytes]);
}

/** A fresh incremental BLAKE3-256 hasher. */
export function createHasher(): Hasher {
  const chunks: Uint8Array[] = [];
  const hasher: Hasher = {
    update(bytes) {
      chunks.push(bytes);
      return hasher;
    },
    digest() {
      return active.digestChunks(chunks);
    },
  };
  return hasher;
}

/**
 * A BLAKE3-256 checksum: 32 bytes with its own parse and format.
 *
 * @example
 * const c = Checksum.of(new TextEncoder().encode('abc'));
 * Checksum.parse(c.toHex()).equals(c); // true
 */
export class Checksum {
  private constructor(readonly bytes: Uint8Array) {}

  /** The checksum of `data`. */
  static of(data: Uint8Array): Checksum {
    return new Checksum(blake3Digest(data));
  }

  /** Wraps 32 digest bytes (copied). */
  static fromBytes(bytes: Uint8Array): Checksum {
    if (bytes.length !== CHECKSUM_BYTES) {
      throw new WalError('Corruption', `invalid checksum length: ${bytes.length} bytes, expected ${CHECKSUM_BYTES}`);
    }
    return new Checksum(Uint8Array.from(bytes));
  }

  /** Parses 64 lowercase or uppercase hex digits. */
  static parse(hex: string): Checksum {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new WalError('Corruption', `invalid checksum format: ${JSON.stringify(hex)}`);
    return new Checksum(Uint8Array.from(Buffer.from(hex, 'hex')));
  }

  /** True when `data` hashes to this checksum. */
  matches(data: Uint8Array): boolean {
    return bytesEqual(blake3Digest(data), this.bytes);
  }

  /** Whether both checksums hold the same 32 bytes. */
  equals(other: Checksum): boolean {
    return bytesEqual(this.bytes, other.bytes);
  }

  /** The 32 bytes as 64 lower-case hex digits, the form `Checksum.parse` reads. */
  toHex(): string {
    return Buffer.from(this.bytes).toString('hex');
  }

  /** The hex form, as `toHex()`. */
  toString(): string {
    return this.toHex();
  }

  /** The hex form, so a checksum serialises as a string in JSON. */
  toJSON(): string {
    return this.toHex();
  }
}

/** Constant-shape byte comparison. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
