/**
 * Commander argument parsers: each turns a flag's text into a value or
 * throws InvalidArgumentError, which commander reports as one line naming
 * the flag and the value (exit code 2).
 */
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
