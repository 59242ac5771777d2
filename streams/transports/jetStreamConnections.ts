/**
 * JetStreamConnections: the NATS connections of one JetStream transport end, and
 * their teardown. `connect$()` is one connection as an Observable (cold):
 * subscribing connects; it emits the connection once the server has
 * answered, and errors when the connection is lost (typed: `Closed`,
 * `AuthFailed`); unsubscribing closes it. The client's own reconnecting is
 * off: the transport end reconnects with its own backoff
 * (reconnectWithBackoff), as the TCP follower does, so waits and attempts
 * are counted and visible.
 *
 *   connect$ :  ──c─────────X          (c: connected; X: lost, the error says why)
 *   closeAll :  closes every connection, and any connecting, and resolves once their sockets are gone
 */
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { Observable } from 'rxjs';
import { TidalError } from '../../src/index.js';
import { MAX_PINGS_OUT } from './jetStreamDefaults.js';

/**
 * NATS client options the transport passes through as given: credentials
 * (`user`/`pass`, `token`, `authenticator` for nkeys and JWTs), `tls`,
 * `name`. Reconnecting, timeouts and pings are the transport's own.
 */
export type NatsClientOptions = Omit<NodeConnectionOptions,
  'servers' | 'port' | 'reconnect' | 'maxReconnectAttempts' | 'waitOnFirstConnect' | 'reconnectDelayHandler' | 'timeout' | 'pingInterval' | 'maxPingOut'>;

export interface NatsConnectOptions {
  readonly servers: readonly string[];
  readonly client: NatsClientOptions;
  /** The client pings this often, in ms; MAX_PINGS_OUT unanswered ones lose the connection. */
  readonly heartbeatMs: number;
  /** A connection attempt that takes longer has failed, in ms. */
  readonly connectTimeoutMs: number;
}

export class JetStreamConnections {
  private readonly live = new Set<Promise<unknown>>();
  private readonly open = new Set<NatsConnection>();
  private closed = false;

  /** See the file comment. Errors at once with `Closed` after `closeAll()`. */
  connect$(options: NatsConnectOptions): Observable<NatsConnection> {
    return new Observable<NatsConnection>((subscriber) => {
      if (this.closed) return subscriber.error(new TidalError('Closed', 'the JetStream transport is closed'));
      let nc: NatsConnection | null = null;
      let unsubscribed = false;
      const servers = options.servers.join(', ');
      const attempt = connect({
        ...options.client, servers: [...options.servers], reconnect: false, timeout: options.connectTimeoutMs,
        pingInterval: options.heartbeatMs, maxPingOut: MAX_PINGS_OUT,
      }).then((conn) => {
        nc = conn;
        this.open.add(conn);
        const gone = conn.closed().then((err) => {
          this.live.delete(gone);
          this.open.delete(conn);
          subscriber.error(lostError(servers, err));
        });
        this.live.add(gone);
        if (unsubscribed || this.closed) void conn.close();
        else subscriber.next(conn);
      }, (err: unknown) => subscriber.error(connectError(servers, err)));
      this.track(attempt);
      return () => {
        unsubscribed = true;
        void (nc as NatsConnection | null)?.close();
      };
    });
  }

  /** Closes every connection (and any still connecting); resolves once each is closed. */
  async closeAll(): Promise<void> {
    this.closed = true;
    for (const conn of this.open) void conn.close();
    while (this.live.size > 0) await Promise.all([...this.live]);
  }

  private track(p: Promise<unknown>): void {
    const settled: Promise<void> = p.then(() => void this.live.delete(settled), () => void this.live.delete(settled));
    this.live.add(settled);
  }
}

/** Why a connection attempt failed: `AuthFailed` for credentials the server refused, else `Closed` naming the servers. */
export function connectError(servers: string, err: unknown): TidalError {
  const message = (err as Error | null)?.message ?? String(err);
  if (isAuthError(err)) return new TidalError('AuthFailed', `NATS at ${servers} refused this client's credentials: ${message}`, { cause: err });
  return new TidalError('Closed', `cannot connect to NATS at ${servers}: ${message}`, { cause: err });
}

/** Why an established connection ended. */
function lostError(servers: string, err: void | Error): TidalError {
  if (err && isAuthError(err)) return new TidalError('AuthFailed', `NATS at ${servers} closed the connection: ${err.message}`, { cause: err });
  return new TidalError('Closed', `the connection to NATS at ${servers} was lost${err ? `: ${err.message}` : ''}`, ...(err ? [{ cause: err }] : []));
}

function isAuthError(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | null;
  return e?.name === 'AuthorizationError' || e?.name === 'UserAuthenticationExpiredError' || /authorization violation|authentication/i.test(String(e?.message ?? ''));
}
