/**
 * `tidaldb demo`: the replication demo (streams/demo/replicationDemo.ts)
 * with its knobs on flags. Exit 0 on a PASS verdict, 1 on FAIL.
 */
import { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { prometheusRegistry } from '../../src/index.js';
import { runReplicationDemo } from '../demo/replicationDemo.js';
import { serveMetrics } from './serveMetrics.js';
import { type CliIo, ExitCode, reportError } from './cliIo.js';
import { hostPortIn, integerIn } from './optionParsers.js';
import type { HostPort } from './parseHostPort.js';
import type { SubcommandContext } from './subcommandContext.js';

export interface DemoOptions {
  /** Followers, 1..16. Default 2. */
  readonly followers?: number;
  /** Signals the leader writes. Default 10,000. */
  readonly signals?: number;
  /** Items written before the signals. Default 500. */
  readonly items?: number;
  /** Seal-and-ship interval in ms. Default 200. */
  readonly shipIntervalMs?: number;
  /** Serve the leader's metrics here while the demo runs. */
  readonly metrics?: HostPort;
  /** Write the lag plot (SVG) to this file. Default: none. */
  readonly lagSvg?: string;
}

/**
 * Runs the demo, printing to `io.out` (redrawing the lag in place when it is
 * a terminal).
 *
 * @returns 0 on PASS, 1 on FAIL, 2 when an option cannot be honoured.
 */
export async function runDemo(options: DemoOptions, io: CliIo): Promise<ExitCode> {
  try {
    const metrics = options.metrics;
    const result = await runReplicationDemo({
      followers: options.followers, signals: options.signals, items: options.items, shipIntervalMs: options.shipIntervalMs,
      out: asWritableStream(io.out), ...(options.lagSvg !== undefined && { lagSvgPath: options.lagSvg }),
      onStart: metrics && (async ({ leaderDb }) => {
        const server = await serveMetrics({ host: metrics.host, port: metrics.port, registry: prometheusRegistry(leaderDb) });
        io.err.write(`serving metrics at http://${metrics.host}:${server.port}/metrics\n`);
        return () => server.close();
      }),
    });
    return result.converged && result.match ? ExitCode.Ok : ExitCode.Failure;
  } catch (err) {
    return reportError(io, err);
  }
}

/** process.stdout as is (so a terminal gets the in-place redraw); anything else wrapped. */
function asWritableStream(out: CliIo['out']): NodeJS.WritableStream {
  if (out instanceof Writable) return out;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      out.write(chunk.toString());
      done();
    },
  });
}

/** The commander wiring of `demo`. */
export function demoCommand(ctx: SubcommandContext): Command {
  return new Command('demo')
    .summary('run a leader and followers in one process and watch the replication lag converge')
    .description(
      'Run the replication demo in one process: a leader and N in-memory followers over an in-process transport. '
      + 'The leader writes items and then signals in bursts while the lag of each follower is drawn; '
      + 'then the leader\'s and the followers\' top 10 are printed side by side with a PASS or FAIL verdict. '
      + 'With --lag-svg, the lag of every follower over time (events and ms, by stage) is also plotted to an SVG file '
      + '(npm start writes tidaldb-lag.svg); a file that cannot be written is reported and the demo goes on.\n\n'
      + 'Exit codes: 0 PASS, 1 FAIL, 2 bad usage.',
    )
    .addOption(new Option('--followers <n>', 'followers to start, 1..16').argParser(integerIn(1, 16)).default(2))
    .addOption(new Option('--signals <n>', 'signals the leader writes').argParser(integerIn(0, 10_000_000)).default(10_000))
    .addOption(new Option('--items <n>', 'items written before the signals').argParser(integerIn(1, 1_000_000)).default(500))
    .addOption(new Option('--ship-interval <ms>', 'seal and ship every this many ms').argParser(integerIn(1, 60_000)).default(200))
    .addOption(new Option('--metrics <host:port>', 'serve the leader\'s Prometheus metrics at http://HOST:PORT/metrics while the demo runs')
      .argParser(hostPortIn('--metrics', { allowPortZero: true })))
    .option('--lag-svg <file>', 'also plot every follower\'s lag over time (events and ms, by stage) to FILE, an SVG, and print its path')
    .action(async (opts: { followers: number; signals: number; items: number; shipInterval: number; metrics?: HostPort; lagSvg?: string }) => {
      ctx.exit(await runDemo({ ...opts, shipIntervalMs: opts.shipInterval }, ctx.io));
    });
}
