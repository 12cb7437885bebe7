import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `pnpm test:unit`: the fast inner loop. The core, the adapters, the simulator and the controller's own
// unit tests, from their TypeScript sources (no build) and in this process (no child process: the
// simulator, where one is needed, runs in-process). `pnpm test` runs these and everything else.
export const UNIT_TESTS: string[] = [
  'packages/core/test/**/*.test.ts',
  'packages/aws/test/**/*.test.ts',
  'packages/sim/test/**/*.test.ts',
  'apps/controller/test/*.test.ts',
];

// Without isolation the test files of a worker share their modules (the SDK, client-node, the sources),
// loaded once instead of once a file: about a third of the time. `pnpm test` keeps each file isolated.
export default defineConfig({ ...base, test: { ...base.test, include: UNIT_TESTS, isolate: false } });
