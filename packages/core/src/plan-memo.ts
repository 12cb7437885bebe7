/**
 * Remembers, per cluster, the inputs of its last plan that found nothing to do. Planning is a pure
 * function of its inputs, so when a later pass sees exactly the same inputs (the same desired state,
 * the same Identity Center roles listed in this pass, the same node roles, the same live aws-auth data
 * and annotations), it is the same no-op, and parsing and rendering aws-auth can be skipped. Nothing
 * remembered stands for the world: the inputs are read afresh in every pass, and a plan is only
 * reused when they are all equal. Bounded: beyond `maxEntries` the oldest entry goes.
 */
import type { Plan } from './plan.js';

export class PlanMemo {
  private readonly entries = new Map<string, { readonly key: string; readonly plan: Plan }>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 100_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a whole number >= 1');
  }

  /** The no-op plan remembered for `clusterId` under exactly `key`, if any. */
  get(clusterId: string, key: string): Plan | undefined {
    const entry = this.entries.get(clusterId);
    if (entry === undefined || entry.key !== key) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    return entry.plan;
  }

  /** Remembers a no-op plan; any other plan makes the cluster's entry go. */
  remember(clusterId: string, key: string, plan: Plan): void {
    this.entries.delete(clusterId);
    if (plan.action !== 'noop') return;
    // A no-op writes nothing: the data and annotations it would write are not kept (kilobytes per cluster).
    this.entries.set(clusterId, { key, plan: { ...plan, data: undefined, annotations: {} } });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

