/**
 * What the service keeps of a pass once each cluster's result has been logged, and what `/status`
 * shows of it. A full result holds every entry change and every permission set's resolution; at
 * thousands of clusters that is tens of megabytes per pass, kept for nothing once the result is in
 * the log. The service keeps a summary per cluster instead (outcome, counts, and why it failed or
 * was blocked). Reports never hold secrets.
 */
import type { ClusterOutcome, ClusterResult, GuardRefusal, PassReport } from '@eks-auth-hub/core';
import type { InFlightCall } from './in-flight.js';
import type { Stall } from './stall.js';

/** A cluster's result without its entry lists, resolutions and warnings (those are in the log). */
export interface ClusterSummary {
  readonly clusterId: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly outcome: ClusterOutcome;
  /** Entries added, removed and changed (applied), or that would be (planned, blocked). */
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  readonly unresolved: ClusterResult['unresolved'];
  readonly ambiguous: ClusterResult['ambiguous'];
  readonly refusals: readonly GuardRefusal[];
  readonly error?: NonNullable<ClusterResult['error']>;
  readonly lockout?: NonNullable<ClusterResult['lockout']>;
  readonly interruptedWrite?: NonNullable<ClusterResult['interruptedWrite']>;
  readonly created: boolean;
  readonly drift: boolean;
  readonly attempts: number;
  readonly durationMs: number;
}

/** A pass as the service keeps it. */
export type PassSummary = PassReport<ClusterSummary>;

const NONE: readonly never[] = Object.freeze([]);

function compact<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}

export function summarizeCluster(result: ClusterResult): ClusterSummary {
  return {
    clusterId: result.clusterId,
    name: result.name,
    account: result.account,
    region: result.region,
    outcome: result.outcome,
    added: result.changes.added.length,
    removed: result.changes.removed.length,
    changed: result.changes.changed.length,
    unresolved: compact(result.unresolved),
    ambiguous: compact(result.ambiguous),
    refusals: compact(result.refusals),
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(result.lockout === undefined ? {} : { lockout: result.lockout }),
    ...(result.interruptedWrite === undefined ? {} : { interruptedWrite: result.interruptedWrite }),
    created: result.created,
    drift: result.drift,
    attempts: result.attempts,
    durationMs: result.durationMs,
  };
}

export interface StatusView {
  readonly ready: boolean;
  /**
   * The desired-state file in force: its name (never a path), clusters and desired hash; under `run`
   * also the SHA-256 of its bytes, when it was loaded, and how the last look at it went.
   */
  readonly config: {
    readonly file: string;
    readonly clusters: number;
    readonly desiredHash: string;
    readonly fileHash?: string;
    readonly loadedAt?: string;
    readonly lastReload?: { readonly at: string; readonly successful: boolean; readonly problem?: string; readonly missing?: boolean };
  };
  readonly passes: number;
  readonly lastPass: PassSummary | null;
  readonly nextPassAt: string | null;
  readonly running: boolean;
  /** The running pass's start and deadline (null between passes). */
  readonly passStartedAt: string | null;
  readonly passDeadline: string | null;
  /** Set when the service is stalled (`/healthz` answers 503): since when, and why. */
  readonly stalled: Stall | null;
  /** The running pass's port calls in flight, oldest first (at most 20). */
  readonly inFlight: readonly InFlightCall[];
}

/** `/status`'s `lastPass`: the pass without its clusters (they are `/status`'s `clusters`). */
export type LastPassJson = Omit<PassSummary, 'clusters'>;

export interface ClusterStatusJson {
  readonly cluster: string;
  readonly account: string;
  readonly region: string;
  readonly outcome: ClusterOutcome;
  readonly changes: number;
  readonly unresolved: readonly string[];
  readonly ambiguous: readonly string[];
  readonly refusals: readonly string[];
  /** The error's code (failed), else null. */
  readonly error: string | null;
  /** Why the cluster failed (the error's message) or was blocked (the refusals' messages), shortened; else null. */
  readonly reason: string | null;
}

/** Longest `reason` shown; a longer one ends in `…` (the whole text is in the cluster's log line). */
export const REASON_MAX = 300;

function shorten(text: string): string {
  return text.length <= REASON_MAX ? text : `${text.slice(0, REASON_MAX - 1)}…`;
}

export function reasonOf(c: Pick<ClusterSummary, 'outcome' | 'error' | 'refusals'>): string | null {
  if (c.error !== undefined) return shorten(c.error.message);
  if (c.outcome === 'blocked' && c.refusals.length > 0) return shorten(c.refusals.map((r) => r.message).join('; '));
  return null;
}

export function lastPassJson(report: PassSummary | null): LastPassJson | null {
  if (report === null) return null;
  const { clusters: _clusters, ...pass } = report;
  return pass;
}

export function statusSummary(report: PassSummary | null): ClusterStatusJson[] {
  return (report?.clusters ?? []).map((c) => ({
    cluster: c.name,
    account: c.account,
    region: c.region,
    outcome: c.outcome,
    changes: c.added + c.removed + c.changed,
    unresolved: c.unresolved,
    ambiguous: c.ambiguous.map((a) => a.permissionSet),
    refusals: c.refusals.map((r) => r.rule),
    error: c.error?.code ?? null,
    reason: reasonOf(c),
  }));
}
