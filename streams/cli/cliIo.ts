/**
 * What every subcommand writes to and returns: two text outputs (results on
 * `out`, errors and warnings on `err`) and an exit code. Subcommand logic
 * takes a CliIo instead of touching `process`, so tests call it directly.
 */

/** Anything text can be written to: `process.stdout`, a PassThrough, a test buffer. */
export interface CliOutput {
  write(chunk: string): unknown;
}

export interface CliIo {
  /** Results: tables, JSON, status lines. */
  readonly out: CliOutput;
  /** One-line errors and warnings. */
  readonly err: CliOutput;
}

/**
 * Exit codes of every subcommand.
 * - `Ok` 0: done, everything checked out.
 * - `Failure` 1: the command ran and found a problem (corruption, a FAIL
 *   verdict) or an operation failed (connection refused, I/O error).
 * - `Usage` 2: the command could not run as asked (bad flag or argument,
 *   missing path, a path of the wrong kind, a feature missing from this build).
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a subcommand reports as one line on `err`, then exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(readonly exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Writes `error: <message>` as one line (newlines folded) and returns the exit code to use. */
export function reportError(io: CliIo, error: unknown): ExitCode {
  io.err.write(`error: ${oneLine(errorMessage(error))}\n`);
  return error instanceof CliError ? error.exitCode : ExitCode.Failure;
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Folds a multi-line message into one line. */
export function oneLine(text: string): string {
  return text.trim().split(/\s*\n\s*/).join(' ');
}
