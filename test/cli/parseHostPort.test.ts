import { describe, expect, it } from 'vitest';
import { CliError } from '../../streams/cli/cliIo.js';
import { parseHostPort } from '../../streams/cli/parseHostPort.js';

describe('parseHostPort', () => {
  it('HOST:PORT, names and IPv6 in brackets', () => {
    expect(parseHostPort('127.0.0.1:7400', '--connect')).toEqual({ host: '127.0.0.1', port: 7400 });
    expect(parseHostPort('db-1.internal:65535', '--connect')).toEqual({ host: 'db-1.internal', port: 65535 });
    expect(parseHostPort('[::1]:9464', '--metrics')).toEqual({ host: '::1', port: 9464 });
    expect(parseHostPort('0.0.0.0:0', '--metrics', { allowPortZero: true })).toEqual({ host: '0.0.0.0', port: 0 });
  });

  it('refuses what is not HOST:PORT as a usage error naming the flag and the value', () => {
    for (const bad of ['7400', ':7400', 'host:', 'host:65536', 'host:0', '::1:7400', 'a b:1', 'host:12x']) {
      expect(() => parseHostPort(bad, '--connect'), bad).toThrow(CliError);
    }
    expect(() => parseHostPort('host:0', '--connect')).toThrow(`--connect must be HOST:PORT with a port in 1..65535, got "host:0"`);
    try {
      parseHostPort('x', '--metrics');
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});
