/**
 * Commander argument parsers: each turns a flag's text into a value or
 * throws InvalidArgumentError, which commander reports as one line naming
 * the flag and the value (exit code 2).
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { CliError } from './cliIo.js';
import { type HostPort, parseHostPort } from './parseHostPort.js';

/**
 * An integer in `min..max`.
 *
 * @example
 * new Option('--followers <n>').argParser(integerIn(1, 16));
 */
export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}.`);
    return value;
  };
}

/** `HOST:PORT`; port 0 allowed when listening (`allowPortZero`). */
export function hostPortIn(flag: string, options: { allowPortZero?: boolean } = {}): (text: string) => HostPort {
  return (text) => {
    try {
      return parseHostPort(text, flag, options);
    } catch (err) {
      if (err instanceof CliError) throw new InvalidArgumentError(`expected HOST:PORT with a port in ${options.allowPortZero ? '0' : '1'}..65535.`);
      throw err;
    }
  };
}

/** A token read from a file, and whether other users can read that file too. */
export interface TokenFile {
  readonly path: string;
  readonly token: string;
  /** The file's mode lets users other than its owner read it (POSIX only; false elsewhere). */
  readonly othersCanRead: boolean;
}

/** 4 KiB: a token file holds one secret (TcpTransport refuses longer tokens); anything larger is the wrong file. */
const MAX_TOKEN_FILE_BYTES = 4096 + 2;

/**
 * `--token-file FILE`: the shared secret, read from FILE with its trailing
 * newline (LF or CRLF) removed, so it stays out of `ps` and the shell history.
 *
 * @example
 * new Option('--token-file <file>').argParser(tokenFileIn('--token-file'));
 */
export function tokenFileIn(flag: string): (text: string) => TokenFile {
  return (file) => {
    let stat: fs.Stats;
    let bytes: Buffer;
    try {
      stat = fs.statSync(file);
      if (!stat.isFile()) throw new Error('not a file');
      if (stat.size > MAX_TOKEN_FILE_BYTES) throw new Error(`${stat.size} bytes, more than a token`);
      bytes = fs.readFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`cannot read the token from ${file} (${(err as Error).message}).`);
    }
    const token = bytes.toString('utf8').replace(/\r?\n$/, '');
    if (token.length === 0) throw new InvalidArgumentError(`${file} is empty; ${flag} reads the shared secret from it.`);
    return { path: file, token, othersCanRead: process.platform !== 'win32' && (stat.mode & 0o044) !== 0 };
  };
}
