import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Three test files at a time, whatever the core count (vitest's default is one fewer than the
    // cores: one on a 2-core CI machine). Most of the suite waits on sockets, real clients and the
    // failed-login delay, not on the CPU: on 2 cores three at a time takes about 40% of the time.
    // Tests never share ports (port 0), folders (tempDir) or a tmux server (harness terminal()).
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    reporters: ['default'],
  },
});
