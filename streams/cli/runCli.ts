/**
 * The `tidaldb` command line: commander wiring of the subcommands, one file
 * each (demo.ts, inspect.ts, verify.ts, leader.ts, follower.ts), with one-line errors
 * and the exit codes of {@link ExitCode}. No `process.exit` here: the exit
 * code is returned, so tests run the CLI in-process.
 */
import * as fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { type CliIo, ExitCode, oneLine, reportError } from './cliIo.js';
import { demoCommand } from './demo.js';
import { followerCommand } from './followerCommand.js';
import { inspectCommand } from './inspect.js';
import { leaderCommand } from './leaderCommand.js';
import type { SubcommandContext } from './subcommandContext.js';
import { verifyCommand } from './verify.js';

/**
 * Parses `args` (without `node` and the script) and runs the subcommand.
 *
 * @returns the exit code: 0 done, 1 a problem found or an operation failed, 2 bad usage.
 * @example
 * process.exitCode = await runCli(['verify', '/var/lib/tidaldb'], { out: process.stdout, err: process.stderr });
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Ok;
  const ctx: SubcommandContext = { io, exit: (code) => (exitCode = code) };
  const program = configure(new Command('tidaldb'), io)
    .description('tidaldb: inspect and verify WAL directories, run a leader or a follower replica, or run the replication demo.')
    .version(packageVersion(), '-V, --version', 'print the tidaldb version')
    .showSuggestionAfterError(true);
  for (const sub of [demoCommand(ctx), inspectCommand(ctx), verifyCommand(ctx), leaderCommand(ctx), followerCommand(ctx)]) program.addCommand(configure(sub, io));
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    return reportError(io, err);
  }
}

/** Errors as one line on `err`, help on `out`, and no process.exit from commander. */
function configure(command: Command, io: CliIo): Command {
  return command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.out.write(text),
      writeErr: (text) => void io.err.write(text),
      outputError: (text, write) => write(`${oneLine(text)}\n`),
    });
}

/** The version in the package.json next to the sources or to dist/ (two or three levels up). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tidaldb' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level; try the next one up
    }
  }
  return 'unknown';
}
