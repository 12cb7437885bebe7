/** What a pass reports: each cluster's outcome and result, the pass's report, and a rollback's result. */
import type { Entry } from '../aws-auth/entry.js';
import type { ErrorCode } from '../error-code.js';
import type { ErrorKind } from '../errors.js';
import type { GuardRefusal } from '../guard.js';
import type { ChangeSet } from '../plan.js';
import type { Resolution } from '../sso.js';

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
  readonly error?: { readonly kind: ErrorKind; readonly code: ErrorCode; readonly message: string };
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
  readonly cutShort?: ErrorCode;
}

export interface RollbackResult {
  readonly cluster: string;
  readonly outcome: 'applied' | 'unchanged' | 'blocked' | 'failed';
  readonly version: number;
  readonly refusals: readonly GuardRefusal[];
  readonly error?: { readonly kind: ErrorKind; readonly code: ErrorCode; readonly message: string };
  readonly lockout?: ClusterResult['lockout'];
}

function countChanges(changes: ChangeSet): number {
  return changes.added.length + changes.removed.length + changes.changed.length;
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
