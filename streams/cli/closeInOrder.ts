import { type CliIo, errorMessage, oneLine } from './cliIo.js';

/** One thing to close: what it is (for the error line), and how; null when it was never opened. */
export type Closing = readonly [what: string, close: (() => unknown) | null];

/**
 * Closes each opened thing in the order given (last opened first), going on
 * past a failure and reporting each on its own line, `error: COMMAND:
 * closing the WHAT failed: ...`. Resolves true when all closed cleanly.
 */
export async function closeInOrder(command: string, steps: readonly Closing[], io: CliIo): Promise<boolean> {
  let clean = true;
  for (const [what, close] of steps) {
    if (close === null) continue;
    try {
      await close();
    } catch (err) {
      clean = false;
      io.err.write(`error: ${command}: closing the ${what} failed: ${oneLine(errorMessage(err))}\n`);
    }
  }
  return clean;
}
