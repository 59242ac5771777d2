/**
 * How a long-running subcommand (`leader`, `follower`) runs: SIGINT and
 * SIGTERM abort its signal (a clean stop, exit 0), an error thrown while
 * reading its flags or running is reported with its exit code, and the
 * signal handlers are removed when it ends.
 */
import { type ExitCode, reportError } from './cliIo.js';
import type { SubcommandContext } from './subcommandContext.js';

export async function untilSignalled(ctx: SubcommandContext, run: (signal: AbortSignal) => Promise<ExitCode>): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    ctx.exit(await run(controller.signal));
  } catch (err) {
    ctx.exit(reportError(ctx.io, err));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
