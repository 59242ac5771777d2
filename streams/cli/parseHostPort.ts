import { CliError, ExitCode } from './cliIo.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT` (`127.0.0.1:9464`, `localhost:7000`, `[::1]:7000`).
 * A bad value is a usage error naming the flag and the value.
 *
 * @param flag the flag it came from, for the message (`--connect`).
 * @param allowPortZero port 0 asks the OS for a free port (listening only).
 * @example
 * parseHostPort('db-1.internal:7000', '--connect'); // { host: 'db-1.internal', port: 7000 }
 */
export function parseHostPort(text: string, flag: string, { allowPortZero = false } = {}): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535 || (port === 0 && !allowPortZero)) {
    const range = allowPortZero ? '0..65535' : '1..65535';
    throw new CliError(ExitCode.Usage, `${flag} must be HOST:PORT with a port in ${range}, got ${JSON.stringify(text)}`);
  }
  return { host: m[1] ?? m[2]!, port };
}
