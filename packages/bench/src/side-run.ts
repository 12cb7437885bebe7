/** One side of the benchmark (the hub, the per-cluster model, the floor): its passes, each side with a simulator of its own. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PASS_KINDS, type PassKind } from './figures.js';
import type { BenchOptions } from './options.js';
import { type ChildPassResult, startChild } from './protocol.js';
import { control, counters, startSim, stopSim } from './sim-client.js';
import type { Reassignment } from './world.js';

const here = dirname(fileURLToPath(import.meta.url));

export type SidePass = { readonly child: ChildPassResult; readonly calls: Record<string, number>; readonly errors: Record<string, number> };

export interface SideRun {
  /** Every pass for the hub and the per-cluster model; only the cold one for the floor. */
  readonly passes: Partial<Record<PassKind, SidePass>>;
}

export function passOf(side: SideRun, kind: PassKind): SidePass {
  const run = side.passes[kind];
  if (run === undefined) throw new Error(`no ${kind} pass was run`);
  return run;
}

/** One side (the hub, the per-cluster model, the floor) over its passes (`kinds`), with a simulator of its own. */
export async function runSide(
  module: string,
  args: readonly string[],
  worldFile: string,
  options: BenchOptions,
  picks: readonly Reassignment[],
  say: (line: string) => void,
  kinds: readonly PassKind[] = PASS_KINDS,
): Promise<SideRun> {
  const sim = await startSim(worldFile);
  const env: Record<string, string> = { ...sim.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'])
    env[name] = '';
  const flags = module === 'hub-process.js' && options.hubHeapMb > 0 ? [`--max-old-space-size=${options.hubHeapMb}`] : [];
  const child = await startChild(join(here, module), args, env, flags).catch(async (error: unknown) => {
    await stopSim(sim);
    throw error;
  });
  try {
    if (options.latencyMs > 0) await control(sim, 'PUT', 'faults', { '*': { latencyMs: options.latencyMs } });
    const passes: SideRun['passes'] = {};
    for (const kind of kinds) {
      if (kind === 'reassigned') {
        for (const pick of picks) await control(sim, 'POST', 'permission-sets/reassign', pick);
      }
      await control(sim, 'POST', 'counters/reset');
      const result = await child.pass(kind);
      const counted = await counters(sim);
      passes[kind] = { child: result, ...counted };
      say(
        `  ${module.replace(/-process\.js$/, '')} ${kind}: ${Math.round(result.wallMs)} ms, ${JSON.stringify(result.outcomes)}${result.failures.length > 0 ? ` e.g. ${result.failures[0] ?? ''}` : ''}`,
      );
    }
    return { passes };
  } finally {
    await child.stop();
    await stopSim(sim);
  }
}
