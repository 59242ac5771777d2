/**
 * A JetStream follower in a process of its own, for the jetstream bench and
 * the leader-SIGKILL test (what `tidaldb follower --nats` runs, without its
 * status lines and options): a FollowerDb in `dir` (fsync
 * before each ack, as the CLI's), its JetStream end, and startFollower. Its
 * configuration is one JSON object in TIDALDB_BENCH_JETSTREAM:
 *
 *   { "servers": "nats://127.0.0.1:4222", "dir": "…", "peer": "f1", "stream": "…", "subjectPrefix": "…" }
 *
 * It prints 'following' once its end has opened, and on SIGTERM stops the
 * pipeline, closes the end and the database (a checkpoint), and exits 0.
 */
import { FollowerDb } from '../../src/index.js';
import { JetStreamTransport, startFollower } from '../../streams/index.js';

interface ChildConfig {
  readonly servers: string;
  readonly dir: string;
  readonly peer: string;
  readonly stream: string;
  readonly subjectPrefix: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.TIDALDB_BENCH_JETSTREAM ?? 'null') as ChildConfig | null;
  if (!config) throw new Error('TIDALDB_BENCH_JETSTREAM is not set');
  const db = await FollowerDb.open({ dir: config.dir });
  const end = await JetStreamTransport.follower({
    servers: config.servers, db, peer: config.peer, stream: config.stream, subjectPrefix: config.subjectPrefix,
  });
  const handle = startFollower({ db, transport: end, peer: config.peer });
  process.stdout.write('following\n');
  process.once('SIGTERM', () => {
    void (async () => {
      await handle.stop();
      await end.close();
      await db.close();
    })().then(() => (process.exitCode = 0), (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
