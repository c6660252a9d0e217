import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two tiers, told apart by file name.
 * unit: every other test; runs wherever Node runs (macOS, Linux, as a normal user).
 * e2e: `*.e2e.test.ts` files, which need Linux, root, network namespaces, OpenSSH, tmux and the real
 * Claude Code CLI. Their setup names whatever of that is missing and fails; it never skips.
 */
const E2E = ['test/**/*.e2e.test.ts', 'test/**/*.e2e.test.tsx'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [...configDefaults.exclude, ...E2E],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          globalSetup: ['test/e2e-setup.ts'],
        },
      },
    ],
  },
});
