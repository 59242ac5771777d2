/**
 * The replica worker's entry, compiled from the current sources with the
 * project's tsc into a private directory under .tmp/ (never dist/, which
 * other tests and the bench build): Node 20 runs no TypeScript in a worker
 * thread. Also the crashing worker and the exit child of the tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileWithTsc, privateBuildDir } from '../../wal/fixtures/compileWithTsc.js';

const TSCONFIG = fileURLToPath(new URL('./tsconfig.replicaWorker.json', import.meta.url));

export interface CompiledReplicaWorker {
  /** The build directory: remove it when done. */
  readonly dir: string;
  /** streams/replicaWorkerMain.js, as startReplicaWorker's default would find it in dist/. */
  readonly workerUrl: URL;
  /** The worker a test can crash through a BroadcastChannel (see crashingReplicaWorker.ts). */
  readonly crashingUrl: URL;
  /** The child process of the "exits on its own" test. */
  readonly exitChild: string;
}

export function compileReplicaWorker(): CompiledReplicaWorker {
  const dir = privateBuildDir('replicaWorker');
  const main = compileWithTsc(TSCONFIG, dir, 'streams/replicaWorkerMain.js');
  const fixtures = path.join(dir, 'test/streams/replicaWorkerFixtures');
  for (const f of ['crashingReplicaWorker.js', 'replicaWorkerExit.js']) {
    if (!fs.existsSync(path.join(fixtures, f))) throw new Error(`compiling ${TSCONFIG} did not produce ${f}`);
  }
  return {
    dir, workerUrl: pathToFileURL(main),
    crashingUrl: pathToFileURL(path.join(fixtures, 'crashingReplicaWorker.js')),
    exitChild: path.join(fixtures, 'replicaWorkerExit.js'),
  };
}
