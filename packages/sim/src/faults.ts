/**
 * Seeded fault injection per operation, and per-operation call counters.
 *
 * Operations are named `<service>:<Operation>` (`iam:ListRoles`, `eks:DescribeCluster`,
 * `sts:AssumeRole`) or `k8s:<verb>` (`k8s:get`, `k8s:update`, …). A fault spec applies to one
 * operation, to a service (`eks:*`), or to everything (`*`); the most specific one wins.
 */
import type { ServerResponse } from 'node:http';
import { Random } from './random.js';

export interface FaultSpec {
  /** Added before answering, in ms. */
  readonly latencyMs?: number;
  /** Share of calls answered with the service's throttling error. */
  readonly throttleRate?: number;
  /** Share of calls answered with a 5xx. */
  readonly errorRate?: number;
  /** Share of calls whose connection is reset without an answer. */
  readonly resetRate?: number;
  /** Share of calls never answered (the client's timeout must fire). */
  readonly hangRate?: number;
}

export type FaultAction = 'none' | 'throttle' | 'error' | 'reset' | 'hang';
export const FAULT_KINDS: readonly Exclude<FaultAction, 'none'>[] = ['throttle', 'error', 'reset', 'hang'];

export interface FaultDecision {
  readonly delayMs: number;
  readonly action: FaultAction;
}

export class Faults {
  private readonly specs = new Map<string, FaultSpec>();
  /** The spec that applies to each operation asked about, until the specs change. */
  private readonly resolved = new Map<string, FaultSpec | undefined>();
  private random: Random;
  readonly injected: Record<Exclude<FaultAction, 'none'> | 'latency', number> = { throttle: 0, error: 0, reset: 0, hang: 0, latency: 0 };

  constructor(seed: number) {
    this.random = new Random(seed ^ 0x5eed);
  }

  set(operation: string, spec: FaultSpec): void {
    for (const [name, rate] of Object.entries(spec)) {
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || (name !== 'latencyMs' && rate > 1)) {
        throw new RangeError(`fault ${name} for ${operation} must be a number${name === 'latencyMs' ? ' >= 0' : ' from 0 to 1'}`);
      }
    }
    this.specs.set(operation, spec);
    this.resolved.clear();
  }

  /** Removes every fault; with `seed`, restarts the random sequence so a run repeats. */
  clear(seed?: number): void {
    this.specs.clear();
    this.resolved.clear();
    if (seed !== undefined) this.random = new Random(seed ^ 0x5eed);
  }

  list(): Record<string, FaultSpec> {
    return Object.fromEntries(this.specs);
  }

  private specFor(operation: string): FaultSpec | undefined {
    if (this.resolved.has(operation)) return this.resolved.get(operation);
    const spec = this.specs.get(operation) ?? this.specs.get(`${operation.split(':')[0] ?? ''}:*`) ?? this.specs.get('*');
    // Operations are a handful of names (and what unknown requests make of theirs): bounded anyway.
    if (this.resolved.size >= 1024) this.resolved.clear();
    this.resolved.set(operation, spec);
    return spec;
  }

  decide(operation: string): FaultDecision {
    const spec = this.specFor(operation);
    if (spec === undefined) return { delayMs: 0, action: 'none' };
    const delayMs = spec.latencyMs ?? 0;
    if (delayMs > 0) this.injected.latency += 1;
    const roll = this.random.next();
    let edge = 0;
    for (const [action, rate] of [
      ['throttle', spec.throttleRate],
      ['error', spec.errorRate],
      ['reset', spec.resetRate],
      ['hang', spec.hangRate],
    ] as const) {
      edge += rate ?? 0;
      if (roll < edge) {
        this.injected[action] += 1;
        return { delayMs, action };
      }
    }
    return { delayMs, action: 'none' };
  }
}

export interface OperationCount {
  calls: number;
  /** By outcome: `ok`, or the error code answered. */
  outcomes: Record<string, number>;
}

export class Counters {
  private readonly byOperation = new Map<string, OperationCount>();
  /** Authenticated AWS calls by principal (a session's role ARN, or a user's ARN), then operation. */
  private readonly byPrincipal = new Map<string, Map<string, number>>();

  /** Records who made an authenticated AWS call (whatever its outcome). */
  recordPrincipal(principal: string, operation: string): void {
    let operations = this.byPrincipal.get(principal);
    if (operations === undefined) {
      operations = new Map();
      this.byPrincipal.set(principal, operations);
    }
    operations.set(operation, (operations.get(operation) ?? 0) + 1);
  }

  /** principal → operation → calls, sorted. */
  principals(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [principal, operations] of [...this.byPrincipal.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[principal] = Object.fromEntries([...operations.entries()].sort(([a], [b]) => a.localeCompare(b)));
    }
    return out;
  }

  record(operation: string, outcome: string): void {
    let count = this.byOperation.get(operation);
    if (count === undefined) {
      count = { calls: 0, outcomes: {} };
      this.byOperation.set(operation, count);
    }
    count.calls += 1;
    count.outcomes[outcome] = (count.outcomes[outcome] ?? 0) + 1;
  }

  snapshot(): Record<string, OperationCount> {
    const out: Record<string, OperationCount> = {};
    for (const [op, count] of [...this.byOperation.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[op] = { calls: count.calls, outcomes: { ...count.outcomes } };
    }
    return out;
  }

  calls(operation: string): number {
    return this.byOperation.get(operation)?.calls ?? 0;
  }

  reset(): void {
    this.byOperation.clear();
    this.byPrincipal.clear();
  }
}

/**
 * Applies the fault decided for `operation` to a request: waits the added latency, then resets the
 * connection or leaves it hanging (both answered here: `done`), or tells the caller to answer with
 * its protocol's throttling or server error.
 */
export async function injectFault(
  faults: Faults,
  counters: Counters,
  hanging: Set<ServerResponse>,
  operation: string,
  res: ServerResponse,
): Promise<'done' | 'throttle' | 'error' | 'none'> {
  const decision = faults.decide(operation);
  if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
  if (decision.action === 'reset') {
    counters.record(operation, 'reset');
    res.socket?.destroy();
    return 'done';
  }
  if (decision.action === 'hang') {
    counters.record(operation, 'hang');
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    return 'done';
  }
  return decision.action;
}
