/**
 * One reconcile pass over every cluster of the desired state, written against the ports (pure: no
 * I/O of its own, time from the injected clock).
 *
 * Clusters are grouped by account: the hub enters each account once and lists its Identity Center
 * roles once, however many clusters the account has. Work is bounded twice: `hub.concurrency`
 * clusters in flight overall and `hub.accountConcurrency` per account; and an account is entered only
 * shortly before its clusters can start (2 × `hub.concurrency` accounts open at once), so that what a
 * pass holds stays bounded however large the fleet. A failure stays with its account or cluster.
 * Dry-run is one switch around the write.
 */
import pLimit from 'p-limit';
import { type Partition, roleArn } from './arn.js';
import type { Entry } from './aws-auth.js';
import { ConflictError, describeError, type ErrorKind, HubError, SessionError } from './errors.js';
import type { GuardRefusal } from './guard.js';
import { hashOf } from './hash.js';
import { appendHistory, planRollback } from './history.js';
import type { ClusterSpec, DesiredState } from './model.js';
import { type ChangeSet, type Plan, plan } from './plan.js';
import type { PlanMemo } from './plan-memo.js';
import type { Ports } from './ports.js';
import { type Resolution, SsoRoleIndex } from './sso.js';
import type { ClusterEndpoint, ClusterRef, IamRole, Listing, NodeRoleSource, ObservedAwsAuth } from './world.js';

export type ClusterOutcome = 'unchanged' | 'applied' | 'planned' | 'blocked' | 'failed';
export const CLUSTER_OUTCOMES: readonly ClusterOutcome[] = ['unchanged', 'applied', 'planned', 'blocked', 'failed'];

export interface ClusterResult {
  readonly clusterId: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly outcome: ClusterOutcome;
  /** What changed (applied), would change (planned, blocked), or nothing. */
  readonly changes: ChangeSet;
  readonly resolutions: readonly Resolution[];
  readonly unresolved: readonly string[];
  readonly ambiguous: readonly { readonly permissionSet: string; readonly candidates: readonly string[] }[];
  readonly refusals: readonly GuardRefusal[];
  readonly warnings: readonly string[];
  readonly error?: { readonly kind: ErrorKind; readonly code: string; readonly message: string };
  /** Whether the write created the ConfigMap. */
  readonly created: boolean;
  /** The live mappings had been edited since the hub's last write (and, if applied, were set back). */
  readonly drift: boolean;
  /** Set when the hub could not authenticate after its own write: whether the previous data was put back. */
  readonly lockout?: { readonly restored: boolean; readonly message: string };
  /**
   * Set when the pass's end cut the cluster short after its aws-auth write was sent: `sent` (the
   * answer did not come back: the write may or may not have landed) or `landed` (it did; the access
   * check after it did not finish). The next pass reads what is there.
   */
  readonly interruptedWrite?: 'sent' | 'landed';
  /** Plans made (more than one after write conflicts). */
  readonly attempts: number;
  readonly durationMs: number;
}

/** What every per-cluster entry of a report holds, whether the full result or what `onResult` kept of it. */
export interface ClusterEntry {
  readonly clusterId: string;
  readonly outcome: ClusterOutcome;
}

export interface PassReport<C extends ClusterEntry = ClusterResult> {
  readonly passId: string;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly desiredHash: string;
  /** In the order of the desired state. */
  readonly clusters: readonly C[];
  readonly counts: Readonly<Record<ClusterOutcome, number>>;
  /** Clusters not started because the pass was stopped (ids); empty for a whole pass. */
  readonly skipped: readonly string[];
  /** The part of the fleet the pass covered (`selectionLabel`), when not all of it. */
  readonly shard?: string;
  /** Set when the pass's deadline signal ended it (`pass.timeout`, `hub.stopping`): clusters it caught failed with that code. */
  readonly cutShort?: string;
}

export interface ReconcileOptions<C extends ClusterEntry = ClusterResult> {
  readonly passId: string;
  readonly dryRun: boolean;
  /** Only these cluster names (all when empty or absent). */
  readonly only?: readonly string[];
  readonly allowRepair?: boolean;
  /** Re-reads and re-plans after a write conflict, at most. */
  readonly maxConflictRetries?: number;
  /** Once aborted, clusters not yet started are skipped (listed in `skipped`, not in `clusters`); started ones finish. */
  readonly signal?: AbortSignal;
  /**
   * Ends the pass (its deadline, or a stop that cannot wait): given to every port call, so calls in
   * flight are aborted, and the pass stops waiting for them. Every account and cluster not finished
   * then fails with the signal's reason when it is a HubError, else with `pass.timeout`.
   */
  readonly deadline?: AbortSignal;
  /** No-op plans of earlier passes, reused when a cluster's inputs are all the same again (a long-lived hub keeps one). */
  readonly memo?: PlanMemo;
  /** Names the part of the fleet `state` was reduced to (`selectClusters`), for the report. */
  readonly shard?: string;
  /**
   * Told each cluster's result as soon as the cluster is done (in the order clusters finish); the
   * report holds what it returns for that cluster. A long-running caller logs and meters the result
   * here and keeps a summary, so that a pass over thousands of clusters does not hold every entry
   * change of every cluster until its end.
   */
  readonly onResult?: (result: ClusterResult) => C;
}

const EMPTY_CHANGES: ChangeSet = { added: [], removed: [], changed: [] };
/** Returned for a cluster not started because the pass was stopped. */
const SKIPPED = Symbol('skipped');
type Skipped = typeof SKIPPED;

function countChanges(changes: ChangeSet): number {
  return changes.added.length + changes.removed.length + changes.changed.length;
}

/**
 * Accounts open at once (entered, their roles listed, their clusters not all done), per cluster in
 * flight: enough that accounts are entered ahead of the clusters that need them, few enough that the
 * role listings waiting for their clusters stay a handful (entering every account at the start of a
 * pass over thousands kept thousands of listings alive at once).
 */
const OPEN_ACCOUNTS_PER_SLOT = 2;

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
  const clock = ports.clock;
  const startedAt = clock.now();
  const keep = options.onResult ?? ((result: ClusterResult) => result as unknown as C);
  const selected = state.clusters.filter((c) => options.only === undefined || options.only.length === 0 || options.only.includes(c.name));
  const byAccount = new Map<string, ClusterSpec[]>();
  for (const cluster of selected) {
    const clusters = byAccount.get(cluster.account);
    if (clusters === undefined) byAccount.set(cluster.account, [cluster]);
    else clusters.push(cluster);
  }

  const overall = pLimit(state.hub.concurrency);
  // Accounts are entered and listed `hub.concurrency` at a time too: thousands of AssumeRole and
  // ListRoles calls at once would only queue (and IAM throttles hard).
  const entering = pLimit(state.hub.concurrency);
  const open = pLimit(OPEN_ACCOUNTS_PER_SLOT * state.hub.concurrency);
  const results = await Promise.all(
    [...byAccount.entries()].map(([account, clusters]) =>
      open(() => reconcileAccount(state, ports, options, keep, account, clusters, overall, entering)),
    ),
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
  const finishedAt = clock.now();
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
    ...(ended(options.deadline) ? { cutShort: passEnded(options.deadline).code } : {}),
  };
}

async function reconcileAccount<C extends ClusterEntry>(
  state: DesiredState,
  ports: Ports,
  options: ReconcileOptions<C>,
  keep: (result: ClusterResult) => C,
  account: string,
  clusters: readonly ClusterSpec[],
  overall: ReturnType<typeof pLimit>,
  entering: ReturnType<typeof pLimit>,
): Promise<(C | Skipped)[]> {
  const clock = ports.clock;
  const started = clock.now();
  const partition = clusters[0]?.partition ?? 'aws';
  const entered = await entering(() =>
    options.signal?.aborted === true
      ? SKIPPED
      : until(options.deadline, enterAccount(ports, options, account, partition)).catch((error: unknown) => ({ error })),
  );
  if (entered === SKIPPED) return clusters.map(() => SKIPPED);
  if ('error' in entered) {
    return clusters.map((c) =>
      keep(result(c, { outcome: 'failed', error: describeError(entered.error), durationMs: clock.now().getTime() - started.getTime() })),
    );
  }
  const { roles } = entered;
  // What this pass listed, once per account, for the plan memo's keys.
  const rolesKey = options.memo !== undefined && roles.complete ? hashOf(roles.items.map((r) => [r.roleName, r.path, r.arn])) : undefined;
  const perAccount = pLimit(state.hub.accountConcurrency);
  return Promise.all(
    clusters.map((cluster) =>
      perAccount(() =>
        overall(async () => {
          const done = await reconcileCluster(state, ports, options, cluster, roles, rolesKey);
          return done === SKIPPED ? done : keep(done);
        }),
      ),
    ),
  );
}

/** The account's session, then its Identity Center roles (a failed listing is carried as an incomplete one). */
async function enterAccount(
  ports: Ports,
  options: Pick<ReconcileOptions, 'signal' | 'deadline'>,
  account: string,
  partition: Partition,
): Promise<Skipped | { readonly error: unknown } | { readonly roles: Listing<IamRole> }> {
  const deadline = options.deadline;
  // A stopped pass skips what it has not started; a pass past its deadline fails it.
  if (options.signal?.aborted === true) return SKIPPED;
  if (ended(deadline)) return { error: passEnded(deadline) };
  try {
    await ports.sessions.open(account, partition, deadline);
  } catch (error) {
    return { error: ended(deadline) ? passEnded(deadline) : error };
  }
  // One listing for all clusters of the account; a failure is carried as an incomplete listing, but
  // a session that could not be renewed is a failure to enter the account.
  try {
    return { roles: { complete: true, items: await ports.roles.listSsoRoles(account, partition, deadline) } };
  } catch (error) {
    // Cut short by the pass's end: the account is not finished, it is not a failed listing.
    if (ended(deadline)) return { error: passEnded(deadline) };
    if (error instanceof SessionError) return { error };
    const described = describeError(error);
    return { roles: { complete: false, reason: `${described.code}: ${described.message}` } };
  }
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

function result(cluster: ClusterSpec, fields: ResultFields): ClusterResult {
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

async function reconcileCluster(
  state: DesiredState,
  ports: Ports,
  options: ReconcileOptions<ClusterEntry>,
  cluster: ClusterSpec,
  roles: Listing<IamRole>,
  rolesKey: string | undefined,
): Promise<ClusterResult | Skipped> {
  const clock = ports.clock;
  const started = clock.now().getTime();
  const elapsed = (): number => clock.now().getTime() - started;
  const ref: ClusterRef = { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
  const hubPrincipal = roleArn(cluster.partition, cluster.account, state.hub.roleName);
  let attempts = 0;
  let lastPlan: Plan | undefined;
  const deadline = options.deadline;
  /** How far the aws-auth write of the current attempt got. */
  let write: 'none' | 'sent' | 'landed' = 'none';
  const failedBy = (error: unknown): ClusterResult => {
    // Whatever a call said when the pass's end aborted it, the cluster failed because the pass ended.
    const cut = ended(deadline);
    const described = describeError(cut ? passEnded(deadline) : error);
    const interrupted = cut && write !== 'none' ? write : undefined;
    const what =
      interrupted === 'sent'
        ? 'its aws-auth write had been sent, without an answer: it may have landed'
        : 'its aws-auth write had landed; the access check after it did not finish';
    return result(cluster, {
      outcome: 'failed',
      error: interrupted === undefined ? described : { ...described, message: `${described.message} (${what})` },
      ...(interrupted === undefined ? {} : { interruptedWrite: interrupted }),
      attempts,
      durationMs: elapsed(),
      ...(lastPlan === undefined ? {} : { plan: { ...lastPlan, changes: EMPTY_CHANGES } }),
    });
  };
  if (options.signal?.aborted === true) return SKIPPED;
  if (ended(deadline)) return failedBy(undefined);
  return until(deadline, work()).catch(failedBy);

  async function work(): Promise<ClusterResult> {
    // Nothing in this cluster may be written from a failed listing: do not even read it.
    if (!roles.complete) {
      lastPlan = planFor(
        { cluster, roles, rolesKey: undefined, nodes: { complete: true, items: [] }, hubPrincipal, state, options },
        null,
        clock.now(),
      );
      return result(cluster, { outcome: 'blocked', plan: lastPlan, attempts: 1, durationMs: elapsed() });
    }
    const reached = await reach(ports, ref, deadline);
    if (reached === 'api-only') {
      return result(cluster, {
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
    const ctx: PlanContext = { cluster, roles, rolesKey, nodes, hubPrincipal, state, options };
    const maxAttempts = 1 + (options.maxConflictRetries ?? 3);
    for (;;) {
      attempts += 1;
      const observed = attempts === 1 ? reached.observed : await ports.awsAuth.read(ref, endpoint, deadline);
      const p = planFor(ctx, observed, clock.now());
      lastPlan = p;
      if (p.action === 'noop') return result(cluster, { outcome: 'unchanged', plan: p, attempts, durationMs: elapsed() });
      if (p.action === 'blocked') return result(cluster, { outcome: 'blocked', plan: p, attempts, durationMs: elapsed() });
      // The API server would refuse the write: say so, and change nothing (not even the history).
      if (observed?.immutable === true) {
        return result(cluster, {
          outcome: 'failed',
          plan: { ...p, changes: EMPTY_CHANGES },
          attempts,
          durationMs: elapsed(),
          error: immutableError(cluster.name),
        });
      }
      if (options.dryRun) return result(cluster, { outcome: 'planned', plan: p, attempts, durationMs: elapsed() });
      // Keep the version being replaced first: no write without a way back.
      if (observed !== null) await keepHistory(ports, ref, endpoint, observed, clock.now(), options.passId, deadline);
      try {
        write = 'sent';
        await ports.awsAuth.write(
          ref,
          endpoint,
          {
            create: p.create,
            resourceVersion: p.resourceVersion,
            data: p.data ?? {},
            annotations: { ...(observed?.annotations ?? {}), ...p.annotations },
          },
          deadline,
        );
      } catch (error) {
        if (!(error instanceof ConflictError) || attempts >= maxAttempts) throw error;
        // Someone wrote in between: read again and plan again.
        write = 'none';
        continue;
      }
      write = 'landed';
      const lockout = await verifyAccess(ports, ref, endpoint, observed, deadline);
      if (lockout !== undefined) {
        return result(cluster, {
          outcome: 'failed',
          plan: p,
          attempts,
          durationMs: elapsed(),
          lockout,
          error: { kind: 'terminal', code: 'hub.lockout', message: lockout.message },
        });
      }
      // What was written is what the next pass reads: with the same inputs, planning it again is a
      // no-op (planning is idempotent), so that no-op is remembered now.
      const written = {
        data: p.data ?? {},
        annotations: { ...(observed?.annotations ?? {}), ...p.annotations },
        ...(observed?.binaryData === undefined ? {} : { binaryData: observed.binaryData }),
      };
      const key = memoKey(ctx, written);
      if (key !== undefined)
        options.memo?.remember(cluster.id, key, {
          ...p,
          action: 'noop',
          create: false,
          changes: EMPTY_CHANGES,
          refusals: [],
          drift: false,
        });
      return result(cluster, { outcome: 'applied', plan: p, attempts, durationMs: elapsed() });
    }
  }
}

/** Whether the pass's deadline has passed (a function: TypeScript would narrow a property read once). */
function ended(deadline: AbortSignal | undefined): boolean {
  return deadline?.aborted === true;
}

/** Why work cut short by `deadline` did not finish: its reason when that is a HubError, else `pass.timeout`. */
export function passEnded(deadline: AbortSignal | undefined): HubError {
  const reason: unknown = deadline?.reason;
  if (reason instanceof HubError) return reason;
  return new HubError(
    'transient',
    'pass.timeout',
    'the pass reached its deadline (hub.passTimeout) before this was done; the next pass does it',
  );
}

/**
 * `work`, or its end when `deadline` aborts first (rejected with passEnded): the pass never waits on
 * a call past its deadline, even one that ignores the signal it was given.
 */
export function until<T>(deadline: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (deadline === undefined) return work;
  if (deadline.aborted) {
    work.catch(() => undefined);
    return Promise.reject(passEnded(deadline));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(passEnded(deadline));
    deadline.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        deadline.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        deadline.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
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
    if (ended(signal)) throw passEnded(signal);
    const described = describeError(error);
    nodes = { complete: false, reason: `${described.code}: ${described.message}` };
  }
  return { endpoint, nodes, observed: read.observed };
}

function immutableError(clusterName: string): NonNullable<ClusterResult['error']> {
  return {
    kind: 'user',
    code: 'kube.immutable',
    message: `kube-system/aws-auth of ${clusterName} is immutable (immutable: true): the API server refuses any change to its data, so the hub changes nothing; re-create it without immutable to let the hub manage it`,
  };
}

/** Appends the live version to the cluster's history (re-read once on a conflict). */
async function keepHistory(
  ports: Ports,
  ref: ClusterRef,
  endpoint: ClusterEndpoint,
  observed: ObservedAwsAuth,
  now: Date,
  passId: string,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const history = await ports.awsAuth.readHistory(ref, endpoint, signal);
    const kept = history?.entries ?? [];
    const next = appendHistory(kept, observed, now, passId);
    if (next === kept) return; // this version is kept already
    try {
      await ports.awsAuth.writeHistory(ref, endpoint, next, history?.resourceVersion, signal);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 3) throw error;
    }
  }
}

/**
 * After a write the hub must still get in with a freshly made token. If it cannot, that is a lockout:
 * reported, and undone through the recovery principal (the cluster's creator) when there is one.
 * Returns undefined when access is fine (or cannot be judged: a timeout is not a lockout).
 */
async function verifyAccess(
  ports: Ports,
  ref: ClusterRef,
  endpoint: ClusterEndpoint,
  previous: ObservedAwsAuth | null,
  signal?: AbortSignal,
): Promise<ClusterResult['lockout']> {
  const lockedOut = async (): Promise<string | undefined> => {
    try {
      await ports.awsAuth.verify(ref, endpoint, signal);
      return undefined;
    } catch (error) {
      const described = describeError(error);
      return described.code === 'kube.unauthorized' || described.code === 'kube.forbidden' ? described.message : undefined;
    }
  };
  const reason = await lockedOut();
  if (reason === undefined) return undefined;
  const lost = `the hub can no longer authenticate to ${ref.name} after its write (${reason})`;
  if (ports.recovery === undefined)
    return { restored: false, message: `${lost}; no recovery role is configured: restore it from kube-system/eks-auth-hub-history` };
  if (previous === null) return { restored: false, message: `${lost}; the ConfigMap did not exist before, nothing to restore` };
  try {
    const now = await ports.recovery.read(ref, endpoint, signal);
    await ports.recovery.write(
      ref,
      endpoint,
      {
        create: now === null,
        resourceVersion: now?.resourceVersion,
        data: previous.data,
        annotations: previous.annotations,
      },
      signal,
    );
  } catch (error) {
    return { restored: false, message: `${lost}; restoring through the recovery role failed: ${describeError(error).message}` };
  }
  const still = await lockedOut();
  return still === undefined
    ? { restored: true, message: `${lost}; the previous aws-auth was restored through the recovery role` }
    : { restored: false, message: `${lost}; the previous aws-auth was restored but the hub is still locked out (${still})` };
}

/** What a cluster's plans in one pass are made from, besides the live aws-auth and the clock. */
interface PlanContext {
  readonly cluster: ClusterSpec;
  readonly roles: Listing<IamRole>;
  /** The hash of this pass's role listing (with a memo and a complete listing). */
  readonly rolesKey: string | undefined;
  readonly nodes: Listing<NodeRoleSource>;
  readonly hubPrincipal: string;
  readonly state: DesiredState;
  readonly options: ReconcileOptions<ClusterEntry>;
}

/** The plan, or the no-op the memo holds for exactly these inputs. */
function planFor(ctx: PlanContext, observed: ObservedAwsAuth | null, now: Date): Plan {
  const memo = ctx.options.memo;
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

/** The resolution of each permission-set mapping of the cluster, in file order, as planning makes them (from the listing's shared index). */
function resolutionsOf(cluster: ClusterSpec, roles: readonly IamRole[]): Resolution[] {
  const index = SsoRoleIndex.of(roles, cluster.partition, cluster.account);
  return cluster.mapRoles.flatMap((mapping) => (mapping.kind === 'permissionset' ? [index.resolve(mapping.permissionSet)] : []));
}

/** The key of every input of a cluster's plan but the clock (which a no-op does not use); undefined without a memo or a complete listing. */
function memoKey(ctx: PlanContext, observed: Omit<ObservedAwsAuth, 'resourceVersion'>): string | undefined {
  const { cluster, roles, rolesKey, nodes, options } = ctx;
  if (options.memo === undefined || rolesKey === undefined || !roles.complete || !nodes.complete) return undefined;
  return hashOf([
    cluster.id,
    cluster.desiredHash,
    cluster.nodeRoles,
    rolesKey,
    nodes.items,
    ctx.hubPrincipal,
    ctx.state.hub.guard,
    options.allowRepair === true,
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
    guard: ctx.state.hub.guard,
    allowRepair: ctx.options.allowRepair === true,
    now,
  });
}

/** Number of entry changes a result carries. */
export function changeCount(result: Pick<ClusterResult, 'changes'>): number {
  return countChanges(result.changes);
}

/** A one-line description of an entry for reports. */
export function describeEntry(entry: Entry): string {
  if (entry.kind === 'account') return `account ${entry.account}`;
  const arn = entry.kind === 'role' ? entry.rolearn : entry.userarn;
  return `${arn} → ${entry.username} [${entry.groups.join(', ')}]`;
}

export interface RollbackResult {
  readonly cluster: string;
  readonly outcome: 'applied' | 'unchanged' | 'blocked' | 'failed';
  readonly version: number;
  readonly refusals: readonly GuardRefusal[];
  readonly error?: { readonly kind: ErrorKind; readonly code: string; readonly message: string };
  readonly lockout?: ClusterResult['lockout'];
}

/**
 * Puts back version `to` of a cluster's aws-auth history (1 = the most recent one replaced), through
 * the same guard checks, history keeping and access verification as a pass.
 */
export async function rollbackCluster(
  state: DesiredState,
  ports: Ports,
  clusterName: string,
  to: number,
  passId: string,
): Promise<RollbackResult> {
  const cluster = state.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) throw new HubError('user', 'config.unknown-cluster', `no cluster named ${clusterName} in ${state.file}`);
  const ref: ClusterRef = { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
  const base = { cluster: cluster.name, version: to };
  try {
    await ports.sessions.open(cluster.account, cluster.partition);
    const endpoint = await ports.clusters.describe(ref);
    const live = await ports.awsAuth.read(ref, endpoint);
    const history = await ports.awsAuth.readHistory(ref, endpoint);
    const planned = planRollback(live, history?.entries ?? [], to, {
      hubPrincipalArn: roleArn(cluster.partition, cluster.account, state.hub.roleName),
      maxRemovalRatio: state.hub.guard.maxRemovalRatio,
    });
    if (planned.refusals.length > 0) return { ...base, outcome: 'blocked', refusals: planned.refusals };
    if (planned.noop) return { ...base, outcome: 'unchanged', refusals: [] };
    if (live?.immutable === true) return { ...base, outcome: 'failed', refusals: [], error: immutableError(cluster.name) };
    if (live !== null) await keepHistory(ports, ref, endpoint, live, ports.clock.now(), passId);
    await ports.awsAuth.write(ref, endpoint, {
      create: live === null,
      resourceVersion: live?.resourceVersion,
      data: planned.data,
      annotations: live?.annotations ?? {},
    });
    const lockout = await verifyAccess(ports, ref, endpoint, live);
    if (lockout !== undefined)
      return {
        ...base,
        outcome: 'failed',
        refusals: [],
        lockout,
        error: { kind: 'terminal', code: 'hub.lockout', message: lockout.message },
      };
    return { ...base, outcome: 'applied', refusals: [] };
  } catch (error) {
    if (error instanceof HubError && error.kind === 'user') throw error;
    return { ...base, outcome: 'failed', refusals: [], error: describeError(error) };
  }
}
