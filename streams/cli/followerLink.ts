/**
 * The follower's link to its leader: TcpTransport.connect, the wait for the
 * first connection, and its connection events as lines.
 */
import { filter, firstValueFrom, type Observable, take } from 'rxjs';
import { TidalError, type TidalDb } from '../../src/index.js';
import type { FollowerTransport } from '../transport.js';
import { TcpTransport } from '../transports/tcpTransport.js';
import { type CliIo, CliError, errorMessage, ExitCode, oneLine } from './cliIo.js';

/** A connection event, as TcpTransport reports them on `events$`. */
export type LinkEvent =
  | { readonly kind: 'connected'; readonly remote: string; readonly epoch?: number }
  | { readonly kind: 'closed'; readonly remote: string; readonly reason: string; readonly error?: Error }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number };

/** A transport the follower owns and closes; `events$` when it can tell connections apart (TcpTransport). */
export interface FollowerLink extends FollowerTransport {
  close(): unknown;
  readonly events$?: Observable<LinkEvent>;
  /** True while welcomed by the leader (TcpTransport); without it the link counts as always connected. */
  readonly connected$?: Observable<boolean>;
  /** How the first connection attempt ended, set once `connect` has resolved (TcpTransport). */
  readonly firstAttempt?: LinkEvent | null;
}

/** TLS files, as paths (TcpTransport reads them). */
export interface LinkTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly peer: string;
  readonly token: string;
  readonly db: TidalDb;
  readonly tls?: LinkTls;
}

/** Connects to a leader: `TcpTransport.connect` in production, a fake in tests. */
export type ConnectTransport = (options: ConnectOptions) => Promise<FollowerLink>;

export async function loadTcpTransport(): Promise<ConnectTransport> {
  return ({ tls, ...o }) => TcpTransport.connect(tls ? { ...o, tls } : o) as Promise<FollowerLink>;
}

/**
 * Resolves with the connection event once the link is first welcomed by
 * the leader; rejects with a `Failure` CliError naming the address and the
 * reason when the first attempt fails (refused, unreachable, token
 * refused), so a misconfigured follower stops at once instead of retrying
 * silently. Resolves with null for a link without `events$`, and when
 * `signal` aborts first.
 */
export async function firstConnection(link: FollowerLink, address: string, signal: AbortSignal): Promise<LinkEvent | null> {
  if (!link.events$ || signal.aborted) return null;
  const aborted = new Promise<null>((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true }));
  const first = link.firstAttempt
    ? Promise.resolve(link.firstAttempt)
    : firstValueFrom(link.events$.pipe(filter((e) => e.kind !== 'reconnecting'), take(1)), { defaultValue: null });
  const outcome = await Promise.race([first, aborted]);
  if (outcome?.kind === 'closed') {
    const reason = oneLine(outcome.error ? errorMessage(outcome.error) : outcome.reason);
    // The transport's reasons often start with the address already.
    throw new CliError(ExitCode.Failure, `follower: cannot connect to ${address}: ${reason.startsWith(`${address}: `) ? reason.slice(address.length + 2) : reason}`);
  }
  return outcome;
}

/**
 * The one line for a `connect` that failed: the transport's reason, and for
 * a misconfiguration (a peer id the leader does not list, one already in
 * use, an address that is not a tidaldb leader, a token it refuses) what to change.
 */
export function connectFailure(address: string, peer: string, err: unknown): CliError {
  const code = err instanceof TidalError ? err.code : null;
  const reason = oneLine(errorMessage(err));
  const fix = code === 'UnknownPeer'
    ? `; fix: start the leader with --follower ${peer} (or add "${peer}" to its followers), or give this follower the --peer the leader lists`
    : code === 'PeerInUse'
      ? `; fix: another follower runs with --peer ${peer}: stop it, or give this one its own --peer (and add it to the leader with --follower)`
      : code === 'NotTidalDb'
        ? '; fix: --connect must be the leader\'s replication address (what `tidaldb leader --listen` binds), not its --metrics port or another service'
        : code === 'AuthFailed'
          ? '; fix: give the follower and the leader the same token (--token-file, or TIDALDB_TOKEN)'
          : '';
  const what = code === 'NotTidalDb' ? `follower: ${reason}` : `follower: cannot connect to ${address}: ${reason}`;
  return new CliError(ExitCode.Failure, `${what}${fix}`, { cause: err });
}

/** The line for a connection event. */
export function linkEventLine(e: LinkEvent): string {
  if (e.kind === 'connected') return `connected to ${e.remote}${e.epoch === undefined ? '' : ` (leader epoch ${e.epoch})`}`;
  if (e.kind === 'closed') return `warning: connection to ${e.remote} closed: ${oneLine(e.error ? errorMessage(e.error) : e.reason)}`;
  return `warning: reconnecting in ${e.delayMs} ms (attempt ${e.attempt + 1})`;
}

/** One line per connection event from now on: connections on `out`, losses and retries on `err`. */
export function reportLinkEvents(link: FollowerLink, io: CliIo): { unsubscribe(): void } {
  if (!link.events$) return { unsubscribe: () => undefined };
  return link.events$.subscribe((e) => (e.kind === 'connected' ? io.out : io.err).write(`${linkEventLine(e)}\n`));
}
