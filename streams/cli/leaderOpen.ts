/**
 * What `tidaldb leader` opens before it serves, each step failing with a
 * CliError that names the flag and says why: the directory (usage when it
 * is a file or has no parent, failure when it is locked or refused), the
 * `--ingest` input, and the listener.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { TidalDb, TidalError, WalError } from '../../src/index.js';
import { TcpTransport, type TcpLeaderTransport } from '../transports/tcpTransport.js';
import { CliError, errorMessage, ExitCode, oneLine } from './cliIo.js';
import type { LeaderRunOptions } from './leaderOptions.js';
import type { HostPort } from './parseHostPort.js';

/** The `--ingest` input: stdin for `-`, else the file, which must exist (checked before anything is opened). */
export async function openIngest(ingest: string | undefined, stdin: Readable): Promise<Readable | null> {
  if (ingest === undefined) return null;
  if (ingest === '-') return stdin;
  const stat = await fs.promises.stat(ingest).catch(() => null);
  if (!stat) throw new CliError(ExitCode.Usage, `leader: --ingest ${ingest}: no such file`);
  if (stat.isDirectory()) throw new CliError(ExitCode.Usage, `leader: --ingest ${ingest}: is a directory, expected an NDJSON file or -`);
  return fs.createReadStream(ingest);
}

/** The directory may be missing (it is created) but not a file, and its parent must exist (a typo is not a new database). */
export async function requireDbDir(dir: string): Promise<void> {
  const stat = await fs.promises.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory()) throw new CliError(ExitCode.Usage, `leader: --dir ${dir}: not a directory`);
  if (stat) return;
  const parent = path.dirname(path.resolve(dir));
  if (!(await fs.promises.stat(parent).catch(() => null))?.isDirectory()) {
    throw new CliError(ExitCode.Usage, `leader: --dir ${dir}: its parent directory ${parent} does not exist`);
  }
}

/**
 * Opens the leader database; a directory held by another process (`Locked`)
 * or refused on open is a failure naming it, with the next step when its
 * files are damaged.
 */
export async function openLeaderDb(options: LeaderRunOptions): Promise<TidalDb> {
  try {
    return await TidalDb.open({ dir: options.dir, ...(options.halfLifeMs && { halfLifeMs: options.halfLifeMs }) });
  } catch (err) {
    const inUse = err instanceof TidalError && err.code === 'Locked';
    const what = inUse ? 'is in use' : 'cannot be opened';
    const next = err instanceof WalError && (err.code === 'Corruption' || err.code === 'Gap') ? `; ${leaderNextStep(options.dir)}` : '';
    throw new CliError(ExitCode.Failure, `leader: --dir ${options.dir} ${what}: ${oneLine(errorMessage(err))}${next}`, { cause: err });
  }
}

/** What to do about a leader's damaged directory: see every damaged file, then restore it or hand over to a follower. */
function leaderNextStep(dir: string): string {
  return `next step: \`tidaldb verify ${dir}\` lists every damaged file; restore ${dir} from a backup, or promote a healthy follower (docs/runbook-promotion.md)`;
}

/** Binds `--listen` (TLS with `--tls-cert`/`--tls-key`); a bind or TLS-file failure names the address. */
export async function listenForFollowers(options: LeaderRunOptions & { readonly listen: HostPort }, token: string, db: TidalDb): Promise<TcpLeaderTransport> {
  const { host, port } = options.listen;
  try {
    return await TcpTransport.listen({
      host, port, token, db, followers: options.followers, ...(options.insecure && { insecure: true }), ...(options.tls && { tls: options.tls }),
    });
  } catch (err) {
    throw new CliError(ExitCode.Failure, `leader: cannot listen on ${host}:${port}: ${oneLine(errorMessage(err))}`, { cause: err });
  }
}
