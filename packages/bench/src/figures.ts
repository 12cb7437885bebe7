/**
 * The yardsticks a measured pass is compared with (pure): the minimum number of calls a pass over a
 * world needs, the calls the hub adds on purpose around each write, and a lower bound on wall time.
 * The definitions are spelled out in this package's README.
 */

/** Largest page IAM ListRoles returns (MaxItems 1000). */
export const IAM_PAGE_SIZE = 1000;
/** Largest page EKS ListNodegroups / ListFargateProfiles return. */
export const EKS_PAGE_SIZE = 100;

export interface ClusterShape {
  readonly id: string;
  readonly nodegroups: number;
  readonly fargateProfiles: number;
}

export interface AccountShape {
  readonly id: string;
  /** Identity Center roles in the account (what ListRoles under the SSO path returns). */
  readonly ssoRoles: number;
  readonly clusters: readonly ClusterShape[];
}

export interface WorldShape {
  readonly accounts: readonly AccountShape[];
}

export type PassKind = 'cold' | 'warm' | 'reassigned';
export const PASS_KINDS: readonly PassKind[] = ['cold', 'warm', 'reassigned'];

export interface PassSetting {
  /** Nothing is cached yet (no session, no cluster described): the hub's first pass. */
  readonly coldCache: boolean;
  /** Clusters (ids) whose aws-auth content must change in this pass. */
  readonly changing: ReadonlySet<string>;
  /** Of those, the ones that have an aws-auth already (the write replaces it; otherwise it creates it). */
  readonly existing: ReadonlySet<string>;
}

/** Operations as the simulator counts them: `sts:AssumeRole`, `eks:DescribeCluster`, `k8s:get`, … */
export type CallCounts = Readonly<Record<string, number>>;

export interface Minimum {
  /** The floor: calls no correct pass can do without. */
  readonly calls: CallCounts;
  readonly total: number;
  /** What the hub adds on purpose around each write, by purpose: `history-read`, `history-write`, `access-check` (Kubernetes calls). */
  readonly safety: CallCounts;
  readonly safetyTotal: number;
  /** The longest chain of calls in which each needs the answer of the one before. */
  readonly criticalPath: number;
  /** aws-auth writes the pass must make. */
  readonly writes: number;
}

function pages(items: number, pageSize: number): number {
  return Math.max(1, Math.ceil(items / pageSize));
}

function add(into: Record<string, number>, operation: string, n: number): void {
  if (n > 0) into[operation] = (into[operation] ?? 0) + n;
}

function sum(counts: CallCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * The minimum for a pass over `world`:
 * - per account: one ListRoles page per 1,000 roles; AssumeRole only when no session is cached;
 * - per cluster: one aws-auth read; the ListNodegroups and ListFargateProfiles pages that show new
 *   node groups and profiles; DescribeCluster, DescribeNodegroup and DescribeFargateProfile only
 *   when not cached; one write (create or update) only where the content changes.
 * Safety calls per write: the access check (a read with a fresh token), and, when the write replaces
 * an existing aws-auth, the history ConfigMap's read and write.
 */
export function minimumFor(world: WorldShape, pass: PassSetting): Minimum {
  const calls: Record<string, number> = {};
  const safety: Record<string, number> = {};
  let criticalPath = 0;
  let writes = 0;
  for (const account of world.accounts) {
    if (account.clusters.length === 0) continue;
    const assume = pass.coldCache ? 1 : 0;
    const listRoles = pages(account.ssoRoles, IAM_PAGE_SIZE);
    add(calls, 'sts:AssumeRole', assume);
    add(calls, 'iam:ListRoles', listRoles);
    for (const cluster of account.clusters) {
      const ngPages = pages(cluster.nodegroups, EKS_PAGE_SIZE);
      const fpPages = pages(cluster.fargateProfiles, EKS_PAGE_SIZE);
      add(calls, 'eks:ListNodegroups', ngPages);
      add(calls, 'eks:ListFargateProfiles', fpPages);
      add(calls, 'k8s:get', 1);
      const describe = pass.coldCache ? 1 : 0;
      const ngDescribes = pass.coldCache ? cluster.nodegroups : 0;
      const fpDescribes = pass.coldCache ? cluster.fargateProfiles : 0;
      add(calls, 'eks:DescribeCluster', describe);
      add(calls, 'eks:DescribeNodegroup', ngDescribes);
      add(calls, 'eks:DescribeFargateProfile', fpDescribes);
      const write = pass.changing.has(cluster.id) ? 1 : 0;
      const replaces = write === 1 && pass.existing.has(cluster.id);
      if (write === 1) {
        writes += 1;
        add(calls, replaces ? 'k8s:update' : 'k8s:create', 1);
        add(safety, 'access-check', 1);
        if (replaces) {
          add(safety, 'history-read', 1);
          add(safety, 'history-write', 1);
        }
      }
      // Independent chains start once the session exists; the write waits for all of them.
      const chain = Math.max(
        listRoles,
        describe + 1, // DescribeCluster (endpoint, CA) → read aws-auth
        ngPages + (ngDescribes > 0 ? 1 : 0), // list → describe the new ones (in parallel)
        fpPages + (fpDescribes > 0 ? 1 : 0),
      );
      criticalPath = Math.max(criticalPath, assume + chain + write);
    }
  }
  return { calls, total: sum(calls), safety, safetyTotal: sum(safety), criticalPath, writes };
}

export interface WallBound {
  /** The larger of the two below. */
  readonly boundMs: number;
  /** One cluster's critical path × latency. */
  readonly criticalPathMs: number;
  /** Total calls × latency ÷ concurrency. */
  readonly throughputMs: number;
}

/** A lower bound on a pass's wall time when every call takes `latencyMs` and `concurrency` are in flight. */
export function wallBound(totalCalls: number, criticalPath: number, latencyMs: number, concurrency: number): WallBound {
  const criticalPathMs = criticalPath * latencyMs;
  const throughputMs = (totalCalls * latencyMs) / concurrency;
  return { boundMs: Math.max(criticalPathMs, throughputMs), criticalPathMs, throughputMs };
}

/** `actual / reference`, rounded to 3 places; null when the reference is 0 (no meaningful ratio). */
export function ratio(actual: number, reference: number): number | null {
  if (reference === 0) return null;
  return Math.round((actual / reference) * 1000) / 1000;
}

/** Calls of one service (`iam`, `eks`, `sts`, `k8s`) in a count by operation. */
export function serviceCalls(counts: CallCounts, service: string): number {
  return Object.entries(counts)
    .filter(([operation]) => operation.startsWith(`${service}:`))
    .reduce((a, [, n]) => a + n, 0);
}
