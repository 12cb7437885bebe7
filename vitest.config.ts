import { configDefaults, defineConfig } from 'vitest/config';
import { SummaryLineReporter } from './test/summary-reporter.js';

// Tests import workspace packages from their TypeScript sources through the
// "source" export condition, so no build is needed between edit and test.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // the real-CLI interop suite runs on its own: `pnpm test:interop` (vitest.interop.config.ts)
    exclude: [...configDefaults.exclude, 'test/interop/**'],
    allowOnly: false,
    // A hang guard, not a speed check (speed lives in `pnpm bench`): many tests start the built CLI
    // or a simulator, which on a busy 2-core machine can take several seconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', new SummaryLineReporter()],
  },
});
