/**
 * Whether a listen address reaches this machine only: 'localhost', any
 * 127.0.0.0/8 address, ::1, or an IPv4-mapped 127.x (::ffff:127.0.0.1).
 * Anything else (0.0.0.0, ::, a LAN address, another name) can be reached
 * from the network, where a listener without TLS needs `insecure: true`.
 *
 * @example
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0');   // false
 */
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.toLowerCase() === 'localhost') return true;
  if (isIP(h) === 4) return h.split('.')[0] === '127';
  if (isIP(h) !== 6) return false;
  const canonical = new URL(`http://[${h}]`).hostname; // '[::1]', and '[::ffff:7f00:1]' for ::ffff:127.0.0.1
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}
