/** Requests a simulator answered, read from its counters: by operation and outcome, and the writes to aws-auth. */
import type { Simulator } from '@eks-auth-hub/sim';

/** Requests the simulator answered: `<service>:<Operation>` or `k8s:<verb>`, with one outcome or all. */
export function simCount(sim: Simulator, operation: string, outcome?: string): number {
  const count = sim.control.counters()[operation];
  if (count === undefined) return 0;
  return outcome === undefined ? count.calls : (count.outcomes[outcome] ?? 0);
}

/** Every request the simulator answered. */
export function requestsSeen(sim: Simulator): number {
  return Object.values(sim.control.counters()).reduce((n, c) => n + c.calls, 0);
}

/** Kubernetes writes (update, create, patch, delete) the simulator answered. */
export function writesSeen(sim: Simulator): number {
  return simCount(sim, 'k8s:update') + simCount(sim, 'k8s:create') + simCount(sim, 'k8s:patch') + simCount(sim, 'k8s:delete');
}
