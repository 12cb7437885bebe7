/**
 * Health, in the manner of cluster-autoscaler's `--max-inactivity`: whether the service is stalled
 * (`/healthz` then answers 503 so that the orchestrator replaces the process).
 */

export interface Stall {
  readonly since: string;
  readonly reason: string;
}

export interface StallInput {
  readonly now: number;
  readonly stopped: boolean;
  readonly running: { readonly startedAt: number; readonly deadlineAt: number } | undefined;
  /** When the last pass ended (or the service started). */
  readonly idleSince: number;
  readonly intervalMs: number;
  readonly graceMs: number;
}

/**
 * Whether the service is stalled: a pass still running `graceMs` after its deadline (the deadline
 * aborts everything, so that means something ignored it), or no pass started for two intervals after
 * the last one ended (the next is due after one, ±10%). Null when it is live, or stopping.
 */
export function stallOf(input: StallInput): Stall | null {
  if (input.stopped) return null;
  if (input.running !== undefined) {
    const { deadlineAt } = input.running;
    if (input.now <= deadlineAt + input.graceMs) return null;
    return {
      since: new Date(deadlineAt).toISOString(),
      reason: `the pass started at ${new Date(input.running.startedAt).toISOString()} is still running past its deadline (hub.passTimeout)`,
    };
  }
  const maxInactivity = 2 * input.intervalMs;
  if (input.now <= input.idleSince + maxInactivity) return null;
  return {
    since: new Date(input.idleSince + input.intervalMs).toISOString(),
    reason: `no pass has started since ${new Date(input.idleSince).toISOString()} (twice hub.interval)`,
  };
}
