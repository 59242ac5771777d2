/** A CliIo that keeps what the subcommand wrote, for assertions. */
import type { CliIo } from '../../streams/cli/cliIo.js';

export interface CapturedIo extends CliIo {
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function captureIo(): CapturedIo {
  let out = '';
  let err = '';
  return {
    out: { write: (chunk: string) => (out += chunk) },
    err: { write: (chunk: string) => (err += chunk) },
    stdout: () => out,
    stderr: () => err,
  };
}
