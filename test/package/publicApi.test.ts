/**
 * The two public entry points export what README.md documents and nothing else (issue 10). The
 * CLI, the demo and the pipeline's inner stages, reducers and constants are in src/internal.ts and
 * streams/internal.ts, which package.json's `exports` does not list. Types are checked by typedoc
 * (`npm run docs`, validation.notExported) and the packed package by `npm run lint:package`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the public API', () => {
  it('tidaldb exports the documented values', async () => {
    const names = Object.keys(await import('../../src/index.js')).sort();
    expect(names).toEqual(['Checksum', 'FollowerDb', 'ReplicationTimeoutError', 'TidalDb', 'TidalError', 'WalError', 'metricsText', 'prometheusRegistry']);
  });

  it('tidaldb/streams exports the documented values, and no CLI or demo code', async () => {
    const names = Object.keys(await import('../../streams/index.js')).sort();
    expect(names).toEqual([
      'FaultInjectingTransport', 'InProcessTransport', 'JetStreamTransport', 'ReplicationLagGauge',
      'SegmentReceiver', 'TcpTransport', 'WalShipper', 'WorkerTransport', 'asTransport', 'idempotentReplay', 'ingestSignals',
      'replicationLag', 'sealTicks', 'awaitQuorum', 'sealedSegments', 'shipSegments', 'startFollower', 'startLeader', 'startRelay', 'listenRelay', 'startReplicaWorker',
      'validateChecksum',
    ].sort());
    expect(readFileSync(new URL('../../streams/index.ts', import.meta.url), 'utf8')).not.toMatch(/\.\/(cli|demo)\//);
  });

  it('package.json exports only the two entry points', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json', './streams']);
  });
});
