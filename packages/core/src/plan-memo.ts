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
 *
 * `planFor` is how a pass plans a cluster: the no-op the memo holds for exactly these inputs, or a
 * plan made now (and remembered when it is a no-op).
 */
import { hashOf } from './hash.js';
import type { ClusterSpec, GuardSettings } from './model.js';
import { type ChangeSet, type Plan, plan } from './plan.js';
import { type Resolution, SsoRoleIndex } from './sso.js';
import type { IamRole, Listing, NodeRoleSource, ObservedAwsAuth } from './world.js';

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

const EMPTY_CHANGES: ChangeSet = { added: [], removed: [], changed: [] };

/** What a cluster's plans in one pass are made from, besides the live aws-auth and the clock. */
export interface PlanContext {
  readonly cluster: ClusterSpec;
  readonly roles: Listing<IamRole>;
  /** The hash of this pass's role listing (with a memo and a complete listing). */
  readonly rolesKey: string | undefined;
  readonly nodes: Listing<NodeRoleSource>;
  readonly hubPrincipal: string;
  readonly guard: GuardSettings;
  readonly allowRepair: boolean;
  readonly memo: PlanMemo | undefined;
}

/** What this pass listed, once per account, for the plan memo's keys (undefined without a memo or a complete listing). */
export function rolesKeyOf(memo: PlanMemo | undefined, roles: Listing<IamRole>): string | undefined {
  return memo !== undefined && roles.complete ? hashOf(roles.items.map((r) => [r.roleName, r.path, r.arn])) : undefined;
}

/** The plan, or the no-op the memo holds for exactly these inputs. */
export function planFor(ctx: PlanContext, observed: ObservedAwsAuth | null, now: Date): Plan {
  const memo = ctx.memo;
  const key = observed === null ? undefined : memoKey(ctx, observed);
  if (memo === undefined || key === undefined || observed === null) return planNow(ctx, observed, now);
  const remembered = memo.get(ctx.cluster.id, key);
  if (remembered !== undefined && ctx.roles.complete) {
    return {
      clusterId: ctx.cluster.id,
      action: 'noop',
      create: false,
      changes: EMPTY_CHANGES,
      data: undefined,
      annotations: {},
      resourceVersion: observed.resourceVersion,
      resolutions: resolutionsOf(ctx.cluster, ctx.roles.items),
      unresolved: remembered.unresolved,
      ambiguous: remembered.ambiguous,
      refusals: [],
      warnings: remembered.warnings,
      desiredHash: remembered.desiredHash,
      drift: remembered.drift,
    };
  }
  const p = planNow(ctx, observed, now);
  memo.remember(ctx.cluster.id, key, p);
  return p;
}

/**
 * What was written is what the next pass reads: with the same inputs, planning it again is a no-op
 * (planning is idempotent), so that no-op is remembered now.
 */
export function rememberWritten(ctx: PlanContext, written: Omit<ObservedAwsAuth, 'resourceVersion'>, p: Plan): void {
  const key = memoKey(ctx, written);
  if (key !== undefined)
    ctx.memo?.remember(ctx.cluster.id, key, {
      ...p,
      action: 'noop',
      create: false,
      changes: EMPTY_CHANGES,
      refusals: [],
      drift: false,
    });
}

/** The resolution of each permission-set mapping of the cluster, in file order, as planning makes them (from the listing's shared index). */
function resolutionsOf(cluster: ClusterSpec, roles: readonly IamRole[]): Resolution[] {
  const index = SsoRoleIndex.of(roles, cluster.partition, cluster.account);
  return cluster.mapRoles.flatMap((mapping) => (mapping.kind === 'permissionset' ? [index.resolve(mapping.permissionSet)] : []));
}

/** The key of every input of a cluster's plan but the clock (which a no-op does not use); undefined without a memo or a complete listing. */
function memoKey(ctx: PlanContext, observed: Omit<ObservedAwsAuth, 'resourceVersion'>): string | undefined {
  const { cluster, roles, rolesKey, nodes } = ctx;
  if (ctx.memo === undefined || rolesKey === undefined || !roles.complete || !nodes.complete) return undefined;
  return hashOf([
    cluster.id,
    cluster.desiredHash,
    cluster.nodeRoles,
    rolesKey,
    nodes.items,
    ctx.hubPrincipal,
    ctx.guard,
    ctx.allowRepair,
    observed.data,
    observed.annotations,
    observed.binaryData ?? {},
    observed.immutable === true,
  ]);
}

function planNow(ctx: PlanContext, observed: ObservedAwsAuth | null, now: Date): Plan {
  return plan({
    cluster: ctx.cluster,
    roles: ctx.roles,
    nodes: ctx.nodes,
    observed,
    hubPrincipalArn: ctx.hubPrincipal,
    guard: ctx.guard,
    allowRepair: ctx.allowRepair,
    now,
  });
}
