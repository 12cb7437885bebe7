/**
 * One reconcile pass over every cluster of the desired state, written against the ports (pure: no
 * I/O of its own, time from the injected clock). This file schedules; `cluster.ts` reconciles one.
 *
 * Clusters are grouped by account: the hub enters each account once and lists its Identity Center
 * roles once, however many clusters the account has. Work is bounded twice: `hub.concurrency`
 * clusters in flight overall and `hub.accountConcurrency` per account; and an account is entered only
 * shortly before its clusters can start (2 × `hub.concurrency` accounts open at once), so that what a
 * pass holds stays bounded however large the fleet. A failure stays with its account or cluster.
 * Dry-run is one switch around the write.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Partition } from '../arn.js';
import { describeError, SessionError } from '../errors.js';
import type { ClusterSpec, DesiredState } from '../model.js';
import { rolesKeyOf } from '../plan-memo.js';
import type { Ports } from '../ports.js';
import type { IamRole, Listing } from '../world.js';
import { clusterResult, reconcileCluster, SKIPPED, type Skipped } from './cluster.js';
import { type PassContext, passContext, type ReconcileOptions } from './context.js';
import { passEnded, pastDeadline, until } from './deadline.js';
import { CLUSTER_OUTCOMES, type ClusterEntry, type ClusterOutcome, type ClusterResult, type PassReport } from './results.js';

/**
 * Accounts open at once (entered, their roles listed, their clusters not all done), per cluster in
 * flight: enough that accounts are entered ahead of the clusters that need them, few enough that the
 * role listings waiting for their clusters stay a handful (entering every account at the start of a
 * pass over thousands kept thousands of listings alive at once).
 */
const OPEN_ACCOUNTS_PER_SLOT = 2;

/** The pass's pools: clusters in flight overall, and accounts being entered. */
interface Pools {
  readonly overall: LimitFunction;
  readonly entering: LimitFunction;
}

export function reconcile(state: DesiredState, ports: Ports, options: ReconcileOptions): Promise<PassReport>;
export function reconcile<C extends ClusterEntry>(
  state: DesiredState,
  ports: Ports,
  options: ReconcileOptions<C> & { readonly onResult: (result: ClusterResult) => C },
): Promise<PassReport<C>>;
export async function reconcile<C extends ClusterEntry>(
  state: DesiredState,
  ports: Ports,
  options: ReconcileOptions<C>,
): Promise<PassReport<C>> {
  const ctx = passContext(state, ports, options);
  const startedAt = ctx.now();
  const selected = state.clusters.filter((c) => options.only === undefined || options.only.length === 0 || options.only.includes(c.name));
  const byAccount = new Map<string, ClusterSpec[]>();
  for (const cluster of selected) {
    const clusters = byAccount.get(cluster.account);
    if (clusters === undefined) byAccount.set(cluster.account, [cluster]);
    else clusters.push(cluster);
  }

  const pools: Pools = {
    overall: pLimit(state.hub.concurrency),
    // Accounts are entered and listed `hub.concurrency` at a time too: thousands of AssumeRole and
    // ListRoles calls at once would only queue (and IAM throttles hard).
    entering: pLimit(state.hub.concurrency),
  };
  const open = pLimit(OPEN_ACCOUNTS_PER_SLOT * state.hub.concurrency);
  const results = await Promise.all(
    [...byAccount.entries()].map(([account, clusters]) => open(() => reconcileAccount(ctx, pools, account, clusters))),
  );
  const order = new Map(state.clusters.map((c, i) => [c.id, i]));
  const all = [...byAccount.values()].flat();
  const outcomes = results.flat();
  const skipped = all.filter((_, i) => outcomes[i] === SKIPPED).map((c) => c.id);
  const flat = outcomes.filter((r): r is C => r !== SKIPPED).sort((a, b) => (order.get(a.clusterId) ?? 0) - (order.get(b.clusterId) ?? 0));
  const counts = Object.fromEntries(CLUSTER_OUTCOMES.map((o) => [o, flat.filter((r) => r.outcome === o).length])) as Record<
    ClusterOutcome,
    number
  >;
  const finishedAt = ctx.now();
  return {
    passId: options.passId,
    dryRun: options.dryRun,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    desiredHash: state.hash,
    clusters: flat,
    counts,
    skipped,
    ...(options.shard === undefined ? {} : { shard: options.shard }),
    ...(pastDeadline(options.deadline) ? { cutShort: passEnded(options.deadline).code } : {}),
  };
}

async function reconcileAccount<C extends ClusterEntry>(
  ctx: PassContext<C>,
  pools: Pools,
  account: string,
  clusters: readonly ClusterSpec[],
): Promise<(C | Skipped)[]> {
  const started = ctx.now();
  const partition = clusters[0]?.partition ?? 'aws';
  const entered = await pools.entering(() =>
    ctx.signal?.aborted === true
      ? SKIPPED
      : until(ctx.deadline, enterAccount(ctx, account, partition)).catch((error: unknown) => ({ error })),
  );
  if (entered === SKIPPED) return clusters.map(() => SKIPPED);
  if ('error' in entered) {
    return clusters.map((c) =>
      ctx.keep(
        clusterResult(c, { outcome: 'failed', error: describeError(entered.error), durationMs: ctx.now().getTime() - started.getTime() }),
      ),
    );
  }
  const { roles } = entered;
  // What this pass listed, once per account, for the plan memo's keys.
  const rolesKey = rolesKeyOf(ctx.options.memo, roles);
  const perAccount = pLimit(ctx.state.hub.accountConcurrency);
  return Promise.all(
    clusters.map((cluster) =>
      perAccount(() =>
        pools.overall(async () => {
          const done = await reconcileCluster(ctx, cluster, { roles, rolesKey });
          return done === SKIPPED ? done : ctx.keep(done);
        }),
      ),
    ),
  );
}

/** The account's session, then its Identity Center roles (a failed listing is carried as an incomplete one). */
async function enterAccount(
  ctx: PassContext,
  account: string,
  partition: Partition,
): Promise<Skipped | { readonly error: unknown } | { readonly roles: Listing<IamRole> }> {
  const { ports, deadline } = ctx;
  // A stopped pass skips what it has not started; a pass past its deadline fails it.
  if (ctx.signal?.aborted === true) return SKIPPED;
  if (pastDeadline(deadline)) return { error: passEnded(deadline) };
  try {
    await ports.sessions.open(account, partition, deadline);
  } catch (error) {
    return { error: pastDeadline(deadline) ? passEnded(deadline) : error };
  }
  // One listing for all clusters of the account; a failure is carried as an incomplete listing, but
  // a session that could not be renewed is a failure to enter the account.
  try {
    return { roles: { complete: true, items: await ports.roles.listSsoRoles(account, partition, deadline) } };
  } catch (error) {
    // Cut short by the pass's end: the account is not finished, it is not a failed listing.
    if (pastDeadline(deadline)) return { error: passEnded(deadline) };
    if (error instanceof SessionError) return { error };
    const described = describeError(error);
    return { roles: { complete: false, reason: `${described.code}: ${described.message}` } };
  }
}
