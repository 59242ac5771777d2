/**
 * BLAKE3-256 behind one small module. @noble/hashes is pure JS (~49 MB/s
 * here); if hashing dominates a benchmark a faster implementation can be
 * swapped in behind these two functions: the bytes stay the same.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { WalError } from './errors.js';

/** Bytes in a BLAKE3-256 digest. */
export const CHECKSUM_BYTES = 32;

/** An incremental BLAKE3 hasher. */
export interface Hasher {
  update(bytes: Uint8Array): Hasher;
  digest(): Uint8Array;
}

/** BLAKE3-256 of `bytes`. */
export function blake3Digest(bytes: Uint8Array): Uint8Array {
  return blake3(bytes);
}

/** A fresh incremental BLAKE3-256 hasher. */
export function createHasher(): Hasher {
  const h = blake3.create();
  const hasher: Hasher = {
    update(bytes) {
      h.update(bytes);
      return hasher;
    },
    digest: () => h.digest(),
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

  equals(other: Checksum): boolean {
    return bytesEqual(this.bytes, other.bytes);
  }

  toHex(): string {
    return Buffer.from(this.bytes).toString('hex');
  }

  toString(): string {
    return this.toHex();
  }

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
