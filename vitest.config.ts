import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The examples in docs/examples import the package by its name, as users do; in the repo that is the source.
  resolve: {
    alias: [
      { find: /^tidaldb\/streams$/, replacement: here('./streams/index.ts') },
      { find: /^tidaldb$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'docs/examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
