/**
 * A simulator per test file, in-process: started in beforeAll with the SDK's standard settings
 * pointing at it (see aws-env.ts), stopped and the environment restored in afterAll.
 */
import { type Simulator, startSimulator, type WorldFile, type WorldFileInput } from '@eks-auth-hub/sim';
import { afterAll, beforeAll } from 'vitest';
import { pointAwsEnvAt } from './aws-env.js';
import { demoWorld } from './demo-files.js';

export interface SimHandle {
  /** The running simulator (throws before beforeAll has run). */
  readonly sim: Simulator;
}

export interface UseSimulatorOptions {
  /** The region of the environment it sets (default eu-west-1). */
  readonly region?: string;
  /** Set process.env from `sim.env()` (default true); the simulator's own tests use explicit clients. */
  readonly env?: boolean;
}

/**
 * Starts `world()` (default: the demo world) in beforeAll, after which `handle.sim` is set, and
 * points the SDK's environment at it; stops it and restores the environment in afterAll.
 */
export function useSimulator(world: () => WorldFile | WorldFileInput = demoWorld, options: UseSimulatorOptions = {}): SimHandle {
  let sim: Simulator | undefined;
  let restore: (() => void) | undefined;
  beforeAll(async () => {
    sim = await startSimulator({ world: world() });
    if (options.env !== false) restore = pointAwsEnvAt(sim.env(options.region ?? 'eu-west-1'));
  });
  afterAll(async () => {
    restore?.();
    await sim?.close();
  });
  return {
    get sim(): Simulator {
      if (sim === undefined) throw new Error('the simulator is not started yet');
      return sim;
    },
  };
}
