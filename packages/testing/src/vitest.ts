/** The kit's entry point for vitest test files: the hooks that need vitest's runner. */
export { type SimHandle, type UseSimulatorOptions, useSimulator } from './use-simulator.js';
