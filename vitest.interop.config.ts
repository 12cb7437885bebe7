import { defineConfig } from 'vitest/config';
import { SummaryLineReporter } from './test/summary-reporter.js';

// `pnpm test:interop`: the real `aws` and `kubectl` against the simulator (test/interop/README.md).
// Kept out of `pnpm test` because it needs those CLIs installed; like the main suite it imports
// workspace packages from their TypeScript sources through the "source" export condition.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/interop/**/*.test.ts'],
    allowOnly: false,
    passWithNoTests: false,
    // each test runs one to four CLI processes; awscli starts in about a second
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', new SummaryLineReporter()],
  },
});
