/** Runs `tidaldb ARGS…` in-process (runCli) with captured output: the exit code, stdout and stderr. */
import { runCli } from '../../streams/cli/runCli.js';
import { captureIo } from './captureIo.js';

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}
