import type { CliIo, ExitCode } from './cliIo.js';

/** What a subcommand's commander action gets: where to write, and where to put its exit code. */
export interface SubcommandContext {
  readonly io: CliIo;
  /** Records the exit code of the action that ran (the process exits with it). */
  exit(code: ExitCode): void;
}
