/**
 * `npm start`: runs the replication demo with its defaults (1 leader,
 * 2 followers, 10,000 signals) and exits non-zero on a FAIL verdict.
 */
import { runReplicationDemo } from './replicationDemo.js';

// A reader that went away (`npm start | head`) ends the demo quietly, as SIGPIPE ends a C program.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});

const result = await runReplicationDemo();
if (!result.converged || !result.match) process.exitCode = 1;
