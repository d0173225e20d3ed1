import { defineConfig } from 'vitest/config';

// Test files run one after another: integration tests start real sshd nodes
// and the lab boots VMs, and this machine has two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 600_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
