/**
 * One cluster's steps in a pass (the per-object reconciler): reach it (DescribeCluster, the live
 * aws-auth, the node roles), plan, keep the history and write, then verify the hub can still get in.
 * A write conflict re-reads and re-plans, a bounded number of times; dry-run stops before the write.
 */
import { roleArn } from '../arn.js';
import { ConflictError, describeError } from '../errors.js';
import type { ClusterSpec } from '../model.js';
import type { ChangeSet, Plan } from '../plan.js';
import { type PlanContext, planFor, rememberWritten } from '../plan-memo.js';
import type { Ports } from '../ports.js';
import type { ClusterEndpoint, ClusterRef, IamRole, Listing, NodeRoleSource, ObservedAwsAuth } from '../world.js';
import type { PassContext } from './context.js';
import { passEnded, pastDeadline, until } from './deadline.js';
import type { ClusterOutcome, ClusterResult } from './results.js';
import { immutableError, keepHistory, verifyAccess } from './safeguards.js';

const EMPTY_CHANGES: ChangeSet = { added: [], removed: [], changed: [] };
/** Returned for a cluster not started because the pass was stopped. */
export const SKIPPED = Symbol('skipped');
export type Skipped = typeof SKIPPED;

/** An account's Identity Center roles as this pass listed them, shared by its clusters. */
export interface AccountRoles {
  readonly roles: Listing<IamRole>;
  /** The hash of the listing for the plan memo's keys (with a memo and a complete listing). */
  readonly rolesKey: string | undefined;
}

interface ResultFields {
  readonly outcome: ClusterOutcome;
  readonly plan?: Plan;
  readonly error?: ClusterResult['error'];
  readonly lockout?: ClusterResult['lockout'];
  readonly interruptedWrite?: ClusterResult['interruptedWrite'];
  readonly attempts?: number;
  readonly durationMs: number;
}

export function clusterResult(cluster: ClusterSpec, fields: ResultFields): ClusterResult {
  const p = fields.plan;
  return {
    clusterId: cluster.id,
    name: cluster.name,
    account: cluster.account,
    region: cluster.region,
    outcome: fields.outcome,
    changes: p?.changes ?? EMPTY_CHANGES,
    resolutions: p?.resolutions ?? [],
    unresolved: p?.unresolved ?? [],
    ambiguous: p?.ambiguous ?? [],
    refusals: p?.refusals ?? [],
    warnings: p?.warnings ?? [],
    ...(fields.error === undefined ? {} : { error: fields.error }),
    ...(fields.lockout === undefined ? {} : { lockout: fields.lockout }),
    ...(fields.interruptedWrite === undefined ? {} : { interruptedWrite: fields.interruptedWrite }),
    created: p?.create === true && fields.outcome === 'applied',
    drift: p?.drift === true,
    attempts: fields.attempts ?? (p === undefined ? 0 : 1),
    durationMs: fields.durationMs,
  };
}

export async function reconcileCluster(ctx: PassContext, cluster: ClusterSpec, account: AccountRoles): Promise<ClusterResult | Skipped> {
  const { ports, options, state, deadline } = ctx;
  const { roles, rolesKey } = account;
  const started = ctx.now().getTime();
  const elapsed = (): number => ctx.now().getTime() - started;
  const ref: ClusterRef = { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
  const hubPrincipal = roleArn(cluster.partition, cluster.account, state.hub.roleName);
  const planning = { hubPrincipal, guard: state.hub.guard, allowRepair: options.allowRepair === true, memo: options.memo };
  let attempts = 0;
  let lastPlan: Plan | undefined;
  /** How far the aws-auth write of the current attempt got. */
  let write: 'none' | 'sent' | 'landed' = 'none';
  const failedBy = (error: unknown): ClusterResult => {
    // Whatever a call said when the pass's end aborted it, the cluster failed because the pass ended.
    const cut = pastDeadline(deadline);
    const described = describeError(cut ? passEnded(deadline) : error);
    const interrupted = cut && write !== 'none' ? write : undefined;
    const what =
      interrupted === 'sent'
        ? 'its aws-auth write had been sent, without an answer: it may have landed'
        : 'its aws-auth write had landed; the access check after it did not finish';
    return clusterResult(cluster, {
      outcome: 'failed',
      error: interrupted === undefined ? described : { ...described, message: `${described.message} (${what})` },
      ...(interrupted === undefined ? {} : { interruptedWrite: interrupted }),
      attempts,
      durationMs: elapsed(),
      ...(lastPlan === undefined ? {} : { plan: { ...lastPlan, changes: EMPTY_CHANGES } }),
    });
  };
  if (ctx.signal?.aborted === true) return SKIPPED;
  if (pastDeadline(deadline)) return failedBy(undefined);
  return until(deadline, work()).catch(failedBy);

  async function work(): Promise<ClusterResult> {
    // Nothing in this cluster may be written from a failed listing: do not even read it.
    if (!roles.complete) {
      lastPlan = planFor({ cluster, roles, rolesKey: undefined, nodes: { complete: true, items: [] }, ...planning }, null, ctx.now());
      return clusterResult(cluster, { outcome: 'blocked', plan: lastPlan, attempts: 1, durationMs: elapsed() });
    }
    const reached = await reach(ports, ref, deadline);
    if (reached === 'api-only') {
      return clusterResult(cluster, {
        outcome: 'failed',
        error: {
          kind: 'user',
          code: 'cluster.api-only',
          message: `cluster ${cluster.name} uses authentication mode API: EKS ignores aws-auth there; use access entries or switch it to API_AND_CONFIG_MAP`,
        },
        durationMs: elapsed(),
      });
    }
    const { endpoint, nodes } = reached;
    const at = { ref, endpoint };
    const planContext: PlanContext = { cluster, roles, rolesKey, nodes, ...planning };
    const maxAttempts = 1 + (options.maxConflictRetries ?? 3);
    for (;;) {
      attempts += 1;
      const observed = attempts === 1 ? reached.observed : await ports.awsAuth.read(ref, endpoint, deadline);
      const p = planFor(planContext, observed, ctx.now());
      lastPlan = p;
      if (p.action === 'noop') return clusterResult(cluster, { outcome: 'unchanged', plan: p, attempts, durationMs: elapsed() });
      if (p.action === 'blocked') return clusterResult(cluster, { outcome: 'blocked', plan: p, attempts, durationMs: elapsed() });
      // The API server would refuse the write: say so, and change nothing (not even the history).
      if (observed?.immutable === true) {
        return clusterResult(cluster, {
          outcome: 'failed',
          plan: { ...p, changes: EMPTY_CHANGES },
          attempts,
          durationMs: elapsed(),
          error: immutableError(cluster.name),
        });
      }
      if (options.dryRun) return clusterResult(cluster, { outcome: 'planned', plan: p, attempts, durationMs: elapsed() });
      // Keep the version being replaced first: no write without a way back.
      if (observed !== null) await keepHistory(ctx, at, observed);
      const annotations = { ...(observed?.annotations ?? {}), ...p.annotations };
      try {
        write = 'sent';
        await ports.awsAuth.write(
          ref,
          endpoint,
          { create: p.create, resourceVersion: p.resourceVersion, data: p.data ?? {}, annotations },
          deadline,
        );
      } catch (error) {
        if (!(error instanceof ConflictError) || attempts >= maxAttempts) throw error;
        // Someone wrote in between: read again and plan again.
        write = 'none';
        continue;
      }
      write = 'landed';
      const lockout = await verifyAccess(ctx, at, observed);
      if (lockout !== undefined) {
        return clusterResult(cluster, {
          outcome: 'failed',
          plan: p,
          attempts,
          durationMs: elapsed(),
          lockout,
          error: { kind: 'terminal', code: 'hub.lockout', message: lockout.message },
        });
      }
      rememberWritten(
        planContext,
        { data: p.data ?? {}, annotations, ...(observed?.binaryData === undefined ? {} : { binaryData: observed.binaryData }) },
        p,
      );
      return clusterResult(cluster, { outcome: 'applied', plan: p, attempts, durationMs: elapsed() });
    }
  }
}

interface Reached {
  readonly endpoint: ClusterEndpoint;
  readonly nodes: Listing<NodeRoleSource>;
  readonly observed: ObservedAwsAuth | null;
}

type Read = { readonly ok: true; readonly observed: ObservedAwsAuth | null } | { readonly ok: false; readonly error: unknown };

async function tryRead(ports: Ports, ref: ClusterRef, endpoint: ClusterEndpoint, signal: AbortSignal | undefined): Promise<Read> {
  try {
    return { ok: true, observed: await ports.awsAuth.read(ref, endpoint, signal) };
  } catch (error) {
    return { ok: false, error };
  }
}

function sameEndpoint(a: ClusterEndpoint, b: ClusterEndpoint): boolean {
  return a.endpoint === b.endpoint && a.caPem === b.caPem && a.authenticationMode === b.authenticationMode;
}

/**
 * DescribeCluster, the live aws-auth, then the node roles. When the description was kept from an
 * earlier pass and aws-auth cannot be read or is missing, the description may be stale (a cluster
 * deleted and created again under the same name has a new endpoint, CA and node groups): the
 * directory forgets the cluster and EKS is asked once more; with a new endpoint or CA, aws-auth is read
 * there, else the first answer stands.
 */
async function reach(ports: Ports, ref: ClusterRef, signal: AbortSignal | undefined): Promise<Reached | 'api-only'> {
  let endpoint = await ports.clusters.describe(ref, signal);
  if (endpoint.authenticationMode === 'API') return 'api-only';
  let read = await tryRead(ports, ref, endpoint, signal);
  if (endpoint.cached === true && !(read.ok && read.observed !== null)) {
    ports.clusters.forget(ref);
    const fresh = await ports.clusters.describe(ref, signal);
    if (!sameEndpoint(fresh, endpoint)) {
      endpoint = fresh;
      if (endpoint.authenticationMode === 'API') return 'api-only';
      read = await tryRead(ports, ref, endpoint, signal);
    }
  }
  if (!read.ok) throw read.error;
  let nodes: Listing<NodeRoleSource>;
  try {
    nodes = { complete: true, items: await ports.clusters.nodeRoles(ref, signal) };
  } catch (error) {
    if (pastDeadline(signal)) throw passEnded(signal);
    const described = describeError(error);
    nodes = { complete: false, reason: `${described.code}: ${described.message}` };
  }
  return { endpoint, nodes, observed: read.observed };
}
