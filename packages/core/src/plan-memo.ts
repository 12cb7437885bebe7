/**
 * Remembers, per cluster, the inputs of its last plan that found nothing to do. Planning is a pure
 * function of its inputs, so when a later pass sees exactly the same inputs (the same desired state,
 * the same Identity Center roles listed in this pass, the same node roles, the same live aws-auth data
 * and annotations), it is the same no-op, and parsing and rendering aws-auth can be skipped. Nothing
 * remembered stands for the world: the inputs are read afresh in every pass, and a plan is only
 * reused when they are all equal. Bounded: beyond `maxEntries` the oldest entry goes.
 *
 * A hub keeps one entry per cluster for as long as it runs, so an entry keeps only what the inputs do
 * not give back by themselves: not the data and annotations a no-op would write (it writes nothing),
 * nor the permission sets' resolutions (the caller resolves them again from this pass's listing,
 * which the key covers), and one shared empty list for every empty one.
 */
import type { Plan } from './plan.js';

/** What is kept of a no-op plan besides its key. */
export interface RememberedNoop {
  readonly unresolved: Plan['unresolved'];
  readonly ambiguous: Plan['ambiguous'];
  readonly warnings: Plan['warnings'];
  readonly desiredHash: string;
  readonly drift: boolean;
}

const NONE: readonly never[] = Object.freeze([]);

function compact<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}

export class PlanMemo {
  private readonly entries = new Map<string, { readonly key: string; readonly noop: RememberedNoop }>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 100_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a whole number >= 1');
  }

  /** The no-op remembered for `clusterId` under exactly `key`, if any. */
  get(clusterId: string, key: string): RememberedNoop | undefined {
    const entry = this.entries.get(clusterId);
    if (entry === undefined || entry.key !== key) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    return entry.noop;
  }

  /** Remembers a no-op plan; any other plan makes the cluster's entry go. */
  remember(clusterId: string, key: string, plan: Plan): void {
    this.entries.delete(clusterId);
    if (plan.action !== 'noop') return;
    const noop: RememberedNoop = {
      unresolved: compact(plan.unresolved),
      ambiguous: compact(plan.ambiguous),
      warnings: compact(plan.warnings),
      desiredHash: plan.desiredHash,
      drift: plan.drift,
    };
    this.entries.set(clusterId, { key, noop });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
