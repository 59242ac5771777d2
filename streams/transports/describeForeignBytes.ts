/**
 * What the first bytes of a connection look like when they are not a
 * tidaldb frame: pure, bytes in, a phrase out. Used while a connection is
 * still in its handshake, so a follower pointed at the wrong port says
 * "it answered like an HTTP server" instead of "frame length 1347703880
 * bytes exceeds maxFrameBytes" (the first four bytes of "HTTP/1.1" read as
 * a little-endian length).
 *
 *   describeForeignBytes(Buffer.from('HTTP/1.1 400 Bad Request\r\n…'))
 *   // → 'answered like an HTTP server ("HTTP/1.1 400 Bad Request")'
 *   describeForeignBytes(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))
 *   // → 'answered with a TLS alert: it expects TLS (pass the TLS options, e.g. --tls-ca)'
 *   describeForeignBytes(encodeMessage({ t: 'welcome', … }))   // → null
 */

/** Bytes of the stream kept to describe it: enough for an HTTP status line or a server banner. */
export const FOREIGN_SNIFF_BYTES = 64;

const HTTP_METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'PRI * '];

/**
 * A phrase ("answered like …") naming the protocol the bytes look like, or
 * null when they could be a tidaldb frame or nothing is recognised.
 *
 * @param head the first bytes received on a connection (at most {@link FOREIGN_SNIFF_BYTES} are looked at)
 */
export function describeForeignBytes(head: Uint8Array): string | null {
  const bytes = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, FOREIGN_SNIFF_BYTES));
  if (bytes.length >= 3 && bytes[1] === 0x03 && bytes[2]! <= 0x04) {
    if (bytes[0] === 0x16) return 'answered with a TLS handshake: it speaks TLS and this end does not, or the other way round';
    if (bytes[0] === 0x15) return 'answered with a TLS alert: it expects TLS (pass the TLS options, e.g. --tls-ca)';
  }
  const text = bytes.toString('latin1');
  const line = JSON.stringify(firstLine(text));
  if (text.startsWith('HTTP/')) return `answered like an HTTP server (${line})`;
  if (HTTP_METHODS.some((m) => text.startsWith(m))) return `spoke like an HTTP client (${line})`;
  if (text.startsWith('SSH-')) return `answered like an SSH server (${line})`;
  if (/^[+\-:$*][^\r\n]*\r\n/.test(text)) return `answered like a Redis server (${line})`;
  if (bytes.length >= 4 && isPrintable(bytes.subarray(0, 4))) return `answered with text (${line}), not a tidaldb frame`;
  return null;
}

function firstLine(text: string): string {
  const end = text.search(/[\r\n]/);
  const line = end < 0 ? text : text.slice(0, end);
  return line.replace(/[^\x20-\x7e]/g, '?').slice(0, 48);
}

/** Printable ASCII or tab/CR/LF: a tidaldb frame starts with a u32 LE length, whose high bytes are 0 for any frame ≤ 16 MiB. */
function isPrintable(bytes: Uint8Array): boolean {
  return bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
}
