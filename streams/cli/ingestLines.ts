/**
 * The lines of an NDJSON input, read as it arrives and never held whole:
 * each chunk is split at `\n`, and a line longer than its bound is dropped
 * byte by byte as it arrives and reported, instead of buffered.
 */
import { count } from './formatTable.js';
import { MAX_INGEST_LINE_BYTES } from './ingestLimits.js';

/** One line of the input: its text, or why it cannot be read. Lines count from 1. */
export type IngestLine =
  | { readonly lineNo: number; readonly text: string }
  | { readonly lineNo: number; readonly problem: string };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = '\uFEFF';

/**
 * Yields each line of `source` (a file or stdin stream, or any async
 * iterable of bytes or strings), pulled one chunk at a time: the reader
 * waits while the consumer works, which is the backpressure.
 *
 * - `\n` ends a line; a `\r` before it is dropped (CRLF files), as is a
 *   UTF-8 byte order mark at the start of line 1. A last line without a
 *   newline is still a line.
 * - A line over `maxLineBytes` (UTF-8 bytes, newline excluded) or one that
 *   is not valid UTF-8 is yielded as a `problem` naming it.
 *
 * @param maxLineBytes the longest line, in bytes. Default {@link MAX_INGEST_LINE_BYTES}.
 * @example
 * for await (const line of ingestLines(fs.createReadStream('signals.ndjson'))) console.log(line.lineNo, line);
 * // 1 { lineNo: 1, text: '{"signal":{"itemId":"a","type":"view"}}' }
 */
export async function* ingestLines(source: AsyncIterable<Uint8Array | string>, maxLineBytes = MAX_INGEST_LINE_BYTES): AsyncGenerator<IngestLine> {
  const line = new LineBuffer(maxLineBytes);
  let lineNo = 1;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE, start); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      line.append(bytes.subarray(start, end));
      yield line.take(lineNo++);
      start = end + 1;
    }
    line.append(bytes.subarray(start));
  }
  if (!line.isEmpty()) yield line.take(lineNo);
}

/** The bytes of the line being read, up to a bound; past it, only their count. */
class LineBuffer {
  private parts: Buffer[] = [];
  private bytes = 0;
  private overflowed = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly maxBytes: number) {}

  append(piece: Buffer): void {
    this.bytes += piece.length;
    if (this.overflowed) return;
    // Copied: a chunk's buffer may be reused by the stream once we return.
    if (this.bytes <= this.maxBytes + 1) this.parts.push(Buffer.from(piece)); // + 1: a CR before the newline is no content
    else {
      this.overflowed = true;
      this.parts = [];
    }
  }

  isEmpty(): boolean {
    return this.bytes === 0;
  }

  /** The line read so far, and a fresh start for the next one. */
  take(lineNo: number): IngestLine {
    const { parts, bytes, overflowed } = this;
    this.parts = [];
    this.bytes = 0;
    this.overflowed = false;
    let all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (all.length > 0 && all[all.length - 1] === CARRIAGE_RETURN) all = all.subarray(0, all.length - 1);
    if (overflowed || all.length > this.maxBytes) {
      return { lineNo, problem: `line is ${count(bytes)} bytes long, over the ${count(this.maxBytes)}-byte limit` };
    }
    try {
      const text = this.decoder.decode(all);
      // A byte order mark belongs at the start of the file only; anywhere else it is content (and no JSON).
      return { lineNo, text: lineNo === 1 && text.startsWith(BOM) ? text.slice(BOM.length) : text };
    } catch {
      return { lineNo, problem: 'line is not valid UTF-8' };
    }
  }
}
