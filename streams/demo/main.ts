/**
 * `npm start`: runs the replication demo with its defaults (1 leader,
 * 2 followers, 10,000 signals), writes the lag plot to
 * `tidaldb-lag.svg` in the working directory (npm runs scripts in the
 * package's directory) and prints its path, and exits non-zero on a FAIL
 * verdict. A directory it cannot write to costs only the plot.
 */
import { runReplicationDemo } from './replicationDemo.js';

// A reader that went away (`npm start | head`) ends the demo quietly, as SIGPIPE ends a C program.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});

/** Where `npm start` writes the lag plot, relative to the working directory. */
const LAG_SVG_FILE = 'tidaldb-lag.svg';

const result = await runReplicationDemo({ lagSvgPath: LAG_SVG_FILE });
if (!result.converged || !result.match) process.exitCode = 1;
