/**
 * What a pass is asked to do (`ReconcileOptions`), and the one context its steps share: the desired
 * state, the ports, the options, the stop and deadline signals, the pass id and the injected clock.
 */
import type { DesiredState } from '../model.js';
import type { PlanMemo } from '../plan-memo.js';
import type { Ports } from '../ports.js';
import type { ClusterEndpoint, ClusterRef } from '../world.js';
import type { ClusterEntry, ClusterResult } from './results.js';

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

/** One pass's context, made once and handed to every step in place of a list of parameters. */
export interface PassContext<C extends ClusterEntry = ClusterEntry> {
  readonly state: DesiredState;
  readonly ports: Ports;
  readonly options: ReconcileOptions<C>;
  readonly passId: string;
  /** The stop: once aborted, what has not started is skipped. */
  readonly signal: AbortSignal | undefined;
  /** The pass's end: given to every port call (see ReconcileOptions.deadline). */
  readonly deadline: AbortSignal | undefined;
  /** The injected clock's time. */
  now(): Date;
  /** What the report keeps of a cluster's result: what `onResult` returns, else the result itself. */
  readonly keep: (result: ClusterResult) => C;
}

export function passContext<C extends ClusterEntry>(state: DesiredState, ports: Ports, options: ReconcileOptions<C>): PassContext<C> {
  return {
    state,
    ports,
    options,
    passId: options.passId,
    signal: options.signal,
    deadline: options.deadline,
    now: () => ports.clock.now(),
    keep: options.onResult ?? ((result: ClusterResult) => result as unknown as C),
  };
}

/** A cluster and how to reach it (what DescribeCluster said). */
export interface ClusterAddress {
  readonly ref: ClusterRef;
  readonly endpoint: ClusterEndpoint;
}
