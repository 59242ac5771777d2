/**
 * A Prometheus scrape endpoint: `GET /metrics` answers with the registry in
 * its text format; anything else is 404 (405 for another method on
 * /metrics). One small HTTP server, owned by the handle: `close()` stops it
 * and drops its connections, so nothing is left running.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ServeMetricsOptions {
  /** Interface to listen on: `127.0.0.1` for this host only, `0.0.0.0` for all. */
  readonly host: string;
  /** 0 picks a free port; the handle says which. */
  readonly port: number;
  readonly registry: Registry;
}

export interface MetricsServer {
  /** The port listened on (the one picked when asked for 0). */
  readonly port: number;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

/** Scrapes past this are cut off: a scrape reads one snapshot, far under a second. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Starts serving `registry` at `http://host:port/metrics`. Rejects when the
 * port cannot be bound (EADDRINUSE, EACCES), with the address in the message.
 *
 * @example
 * const server = await serveMetrics({ host: '127.0.0.1', port: 9464, registry: prometheusRegistry(db) });
 * // curl http://127.0.0.1:9464/metrics
 * await server.close();
 */
export function serveMetrics({ host, port, registry }: ServeMetricsOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => void answer(registry, req, res));
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      reject(new Error(`cannot serve metrics on ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      resolve({ port: (server.address() as AddressInfo).port, close: () => closeServer(server) });
    });
  });
}

async function answer(registry: Registry, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://metrics');
  if (url.pathname !== '/metrics') return reply(res, 404, 'text/plain; charset=utf-8', 'not found: metrics are at /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed: use GET\n`);
  }
  try {
    const text = await registry.metrics();
    reply(res, 200, registry.contentType, req.method === 'HEAD' ? '' : text);
  } catch (err) {
    reply(res, 500, 'text/plain; charset=utf-8', `collecting metrics failed: ${(err as Error).message}\n`);
  }
}

function reply(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType });
  res.end(body);
}

function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
