import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { prometheusRegistry, TidalDb } from '../../src/index.js';
import { type MetricsServer, serveMetrics } from '../../streams/cli/serveMetrics.js';

const open: Array<{ server: MetricsServer; db: TidalDb }> = [];

afterEach(async () => {
  for (const { server, db } of open.splice(0)) {
    await server.close();
    await db.close();
  }
});

async function serving(): Promise<{ base: string; db: TidalDb; server: MetricsServer }> {
  const db = await TidalDb.open();
  const server = await serveMetrics({ host: '127.0.0.1', port: 0, registry: prometheusRegistry(db) });
  open.push({ server, db });
  return { base: `http://127.0.0.1:${server.port}`, db, server };
}

describe('serveMetrics', () => {
  it('GET /metrics on port 0: the registry in the text format, read at request time', async () => {
    const { base, db, server } = await serving();
    expect(server.port).toBeGreaterThan(0);
    await db.signal({ itemId: 'a', type: 'view' });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE tidaldb_last_seq gauge\ntidaldb_last_seq 1\n');
    await db.signal({ itemId: 'a', type: 'view' });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^tidaldb_writes_signals_total 2$/m);
  });

  it('404 for other paths, 405 for other methods on /metrics', async () => {
    const { base } = await serving();
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
  });

  it('close() stops listening and drops kept-alive connections; a second close is a no-op', async () => {
    const { base, server } = await serving();
    await fetch(`${base}/metrics`); // leaves a keep-alive connection open
    await server.close();
    await server.close();
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });

  it('a port in use: rejects naming the address', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    const db = await TidalDb.open();
    await expect(serveMetrics({ host: '127.0.0.1', port, registry: prometheusRegistry(db) }))
      .rejects.toThrow(`cannot serve metrics on 127.0.0.1:${port}: EADDRINUSE`);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await db.close();
  });
});
