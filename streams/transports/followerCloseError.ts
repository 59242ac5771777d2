/**
 * Why a follower's connection ended, as the typed error it reports: pure,
 * a close (and what the follower knows of it) in, an error out. A leader's
 * refusal carries its code; a TLS certificate refused either way, and a
 * leader that could not prove the token, are `AuthFailed`; and which
 * refusals make `TcpTransport.connect` reject on the first attempt.
 */
import { TidalError, type TidalErrorCode } from '../../src/index.js';
import type { ConnectionClosed } from './frameConnectionOptions.js';
import type { RefuseMessage } from './tcpMessages.js';

/** Codes a leader's refusal may carry through to the follower; any other is reported as InvalidInput. */
const REFUSAL_CODES: ReadonlySet<string> = new Set<TidalErrorCode>(['InvalidInput', 'ConfigMismatch', 'UnknownPeer', 'PeerInUse', 'AuthFailed', 'Timeout']);

/** Refusals no retry can fix: met on the first attempt, `connect` rejects with them. */
export const FATAL_AT_START: ReadonlySet<string> = new Set<TidalErrorCode>(['UnknownPeer', 'PeerInUse', 'AuthFailed', 'ConfigMismatch', 'NotTidalDb']);

/** What the follower knows of a connection that closed. */
export interface CloseContext {
  readonly remote: string;
  /** TLS was up and this follower had presented a client certificate. */
  readonly certificateSent: boolean;
  /** Not a byte came from the leader. */
  readonly heardNothing: boolean;
}

/**
 * The error to report for `closed`: the error it carries, a TLS certificate
 * failure as AuthFailed, or, for a leader that ends a mutual-TLS connection
 * without a word once our certificate went out, AuthFailed too (Node's TLS
 * server checks a client certificate after the handshake and just closes;
 * only a missing certificate gets a TLS alert). Undefined for a plain close.
 */
export function closeError(closed: ConnectionClosed, ctx: CloseContext): Error | undefined {
  const tlsFailure = tlsAuthFailure(closed.error);
  if (tlsFailure) return tlsFailure;
  if (!closed.error && ctx.certificateSent && ctx.heardNothing) {
    return new TidalError('AuthFailed', `TLS: ${ctx.remote} closed the connection without answering the hello: it refused this follower's `
      + 'certificate (signed by a CA it does not trust, or expired; the leader\'s log says which)');
  }
  return closed.error;
}

/**
 * The reason a follower counts a failed authentication under
 * (`replication.authFailures.<reason>`), or null when `error` is none: the
 * leader refused our proof, the leader could not prove its own, or TLS.
 */
export function authFailureOf(error: Error | undefined, original: Error | undefined): 'refused' | 'leaderProof' | 'tls' | null {
  if (!(error instanceof TidalError) || error.code !== 'AuthFailed') return null;
  if (error !== original || error.message.startsWith('TLS: ')) return 'tls';
  return error.message.startsWith('leader refused this follower') ? 'refused' : 'leaderProof';
}

/** The error a leader's refusal stands for: its code where it sent a known one, else InvalidInput. */
export function refusalError(m: RefuseMessage): TidalError {
  const code = m.code !== undefined && REFUSAL_CODES.has(m.code) ? (m.code as TidalErrorCode) : 'InvalidInput';
  return new TidalError(code, `leader refused this follower: ${m.reason}`);
}

/** TLS failures that are failed authentications (an untrusted, expired or misnamed certificate; the leader refusing ours), as AuthFailed; else null. */
function tlsAuthFailure(error: Error | undefined): TidalError | null {
  const code = (error?.cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/CERT|_CA$|UNKNOWN_CA|ALTNAME/.test(code)) return null;
  return new TidalError('AuthFailed', `TLS: ${error!.message} (${code})`, { cause: error });
}
