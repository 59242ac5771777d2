/**
 * The one polling helper of the real-time tests (CLI processes, sockets, worker threads): waits
 * until `condition()` holds, checking every `pollMs`, and fails naming `what` after `timeoutMs`.
 * Marble and virtual-time tests do not need it; anything driven by a TestScheduler should not use it.
 */
export interface UntilOptions {
  /** How long to wait before failing, in ms. 15 s by default: a CLI process on a loaded 2-core CI machine. */
  readonly timeoutMs?: number;
  /** How often to check, in ms. */
  readonly pollMs?: number;
  /** Processes or captured streams whose output goes into the failure message. */
  readonly show?: readonly { stdout(): string; stderr(): string }[];
}

export async function until(condition: () => boolean, what: string, options: UntilOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pollMs = options.pollMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      const shown = (options.show ?? []).map((s, i) => `\n--- ${i} stdout:\n${s.stdout()}\n--- ${i} stderr:\n${s.stderr()}`).join('');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${shown}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
