/** The commander wiring, in-process: help, one-line usage errors and their exit codes. */
import { describe, expect, it } from 'vitest';
import { cli } from './cliRun.js';
import { walDir } from './walDir.js';

describe('tidaldb (runCli)', () => {
  it('--help for the program and for each subcommand: exit 0, on stdout', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/^Usage: tidaldb \[options\] \[command\]/);
    for (const sub of ['demo', 'inspect', 'verify', 'follower']) expect(top.out).toMatch(new RegExp(`^  ${sub} `, 'm'));
    const verify = await cli('verify', '--help');
    expect(verify.code).toBe(0);
    expect(verify.out).toContain('Usage: tidaldb verify [options] <dir>');
    expect(verify.out).toContain('Exit codes: 0 all intact, 1 corruption found');
    const follower = await cli('help', 'follower');
    expect(follower.out).toContain('--connect <host:port>');
    expect(follower.out).toMatch(/\(env:\s+TIDALDB_TOKEN\)/);
    expect((await cli('--version')).out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('an unknown flag, a bad value, a missing argument or flag: one line on stderr, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['inspect', '--jsn', '/tmp'], /^error: unknown option '--jsn' \(Did you mean --json\?\)\n$/],
      [['demo', '--followers', '0'], /^error: option '--followers <n>' argument '0' is invalid\. expected an integer in 1\.\.16\.\n$/],
      [['demo', '--signals', 'many'], /^error: option '--signals <n>' argument 'many' is invalid\. expected an integer in 0\.\.10000000\.\n$/],
      [['verify'], /^error: missing required argument 'dir'\n$/],
      [['follower', '--dir', '/tmp/x'], /^error: follower: give --connect HOST:PORT \(over TCP\) or --nats URL \(over JetStream\), one of them\n$/],
      [['follower', '--dir', '/tmp/x', '--connect', 'nohost'], /^error: option '--connect <host:port>' argument 'nohost' is invalid\. expected HOST:PORT with a port in 1\.\.65535\.\n$/],
      [['frobnicate'], /^error: unknown command 'frobnicate'\n$/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.out, args.join(' ')).toBe('');
    }
  });

  it('runs inspect and verify with their exit codes', async () => {
    const w = await walDir(20);
    const verify = await cli('verify', w.dir);
    expect(verify).toMatchObject({ code: 0, err: '' });
    expect(verify.out).toMatch(/^OK: /);
    const inspect = await cli('inspect', '--json', w.dir);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.out)).toMatchObject({ kind: 'directory', ok: true });
    expect((await cli('verify', `${w.dir}/missing`)).code).toBe(2);
  });

  it('demo: runs the demo with the flags, PASS is exit 0; --metrics serves the leader\'s metrics while it runs', async () => {
    const r = await cli('demo', '--signals', '300', '--followers', '1', '--items', '50', '--ship-interval', '50');
    expect(r.code).toBe(0);
    expect(r.out).toContain('1 leader, 1 follower (f1)');
    expect(r.out).toContain('sealing and shipping every 50 ms');
    expect(r.out).toMatch(/^PASS: followers match the leader/m);
    const metrics = await cli('demo', '--signals', '300', '--followers', '1', '--items', '50', '--ship-interval', '50', '--metrics', '127.0.0.1:0');
    expect(metrics.code).toBe(0);
    expect(metrics.err).toMatch(/^serving metrics at http:\/\/127\.0\.0\.1:\d+\/metrics\n$/);
  });
});
