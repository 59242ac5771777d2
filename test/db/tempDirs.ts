/**
 * Temporary directories for file-backed databases in tests: each test gets
 * a fresh one under the OS temp dir, removed after the test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty directory that is removed after the current test. */
export function tempDir(label = 'db'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tidaldb-${label}-`));
  created.push(dir);
  return dir;
}

/** A copy of `dir` (as a crash right now would leave it), removed after the test. */
export function copyDir(dir: string, label = 'copy'): string {
  const target = tempDir(label);
  fs.cpSync(dir, target, { recursive: true });
  return target;
}
