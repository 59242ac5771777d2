#!/usr/bin/env node
/**
 * The `tidaldb` executable (package.json "bin"). Everything is in runCli;
 * this file only binds it to the process.
 */
import { runCli } from './runCli.js';

// A reader that went away (`tidaldb inspect DIR | head`) ends the command quietly, as SIGPIPE ends a C program.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});

process.exitCode = await runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr });
