/**
 * Prometheus metrics of the hub, on a registry passed in (no globals). Names follow Prometheus
 * conventions: prefix `eks_auth_hub_`, counters end in `_total`, durations in `_seconds`,
 * timestamps in `_timestamp_seconds`. Known series exist at 0 from the start. prom-client's default
 * process and Node.js metrics keep their standard names (`process_*`, `nodejs_*`).
 *
 * The per-cluster gauges are not prom-client metrics: see cluster-series.ts.
 *
 * A service that runs one shard (`run --shard 2/8`) labels every series `shard="2/8"`: a constant of
 * the process, like a target label, so that the shards' series stay apart however they are scraped.
 */

import { REFRESH_REASONS, type RequestObserver } from '@eks-auth-hub/aws';
import { CLUSTER_OUTCOMES, type ClusterEntry, GUARD_RULES, type PassReport } from '@eks-auth-hub/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import { type ClusterLabels, ClusterSeries } from './cluster-series.js';
import type { ClusterSummary, PassSummary } from './status.js';

export const PASS_RESULTS = ['success', 'partial', 'failure', 'interrupted'] as const;
export type PassResult = (typeof PASS_RESULTS)[number];

/** success: no cluster failed or was blocked; failure: none converged; partial: in between; interrupted: stopped before every cluster started. */
export function passResult(report: PassReport<ClusterEntry>): PassResult {
  if (report.skipped.length > 0) return 'interrupted';
  const bad = report.counts.failed + report.counts.blocked;
  if (bad === 0) return 'success';
  return bad === report.clusters.length ? 'failure' : 'partial';
}

export interface BuildInfo {
  readonly version: string;
}

export class HubMetrics {
  readonly passes: Counter<'result'>;
  readonly passErrors: Counter;
  readonly passTimeouts: Counter;
  readonly passDuration: Histogram;
  readonly lastPassTimestamp: Gauge;
  readonly clusterResults: Counter<'outcome'>;
  /** cluster_last_outcome, cluster_last_success_timestamp_seconds, unresolved_permission_sets, ambiguous_permission_sets. */
  readonly clusters: ClusterSeries;
  readonly guardRefusals: Counter<'rule'>;
  readonly writes: Counter<'kind'>;
  readonly entryChanges: Counter<'change'>;
  readonly driftCorrections: Counter;
  readonly lockouts: Counter<'restored'>;
  readonly awsRequests: Counter<'service' | 'operation' | 'outcome'>;
  readonly awsRequestDuration: Histogram<'service' | 'operation'>;
  readonly kubeRequests: Counter<'verb' | 'code'>;
  readonly sessionRefreshes: Counter<'reason'>;
  readonly buildInfo: Gauge<'version' | 'node'>;

  constructor(
    readonly registry: Registry,
    build: BuildInfo,
    options: { readonly processMetrics?: boolean; readonly shard?: string } = {},
  ) {
    const registers = [registry];
    const p = 'eks_auth_hub_';
    // The shard a service runs, on every series of the registry (the config watcher's too) and of ClusterSeries.
    const constant = options.shard === undefined ? {} : { shard: options.shard };
    if (options.shard !== undefined) registry.setDefaultLabels(constant);
    if (options.processMetrics !== false) {
      // Under their standard names (`process_*`, `nodejs_*`, no prefix): what the usual Node.js
      // dashboards and restart alerts (`process_start_time_seconds`) look for.
      collectDefaultMetrics({ register: registry });
      // prom-client also exports these sums as gauges named `_total`, which Prometheus reserves for
      // counters; the per-type gauges without the suffix (nodejs_active_handles{type}, …) remain.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        registry.removeSingleMetric(name);
      }
    }
    this.passes = new Counter({
      name: `${p}passes_total`,
      help: 'Reconcile passes, by result (success, partial, failure).',
      labelNames: ['result'],
      registers,
    });
    this.passErrors = new Counter({
      name: `${p}pass_errors_total`,
      help: 'Passes that ended in an unexpected error (a bug; see the error log).',
      registers,
    });
    this.passTimeouts = new Counter({
      name: `${p}pass_timeouts_total`,
      help: 'Passes ended by their deadline (hub.passTimeout): calls in flight were aborted and unfinished clusters failed with pass.timeout.',
      registers,
    });
    this.passDuration = new Histogram({
      name: `${p}pass_duration_seconds`,
      help: 'Duration of a reconcile pass.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.lastPassTimestamp = new Gauge({ name: `${p}last_pass_timestamp_seconds`, help: 'When the last pass finished.', registers });
    this.clusterResults = new Counter({
      name: `${p}cluster_results_total`,
      help: 'Per-cluster results of passes, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.clusters = new ClusterSeries(p, constant);
    this.guardRefusals = new Counter({
      name: `${p}guard_refusals_total`,
      help: 'Writes refused by the guard, by rule.',
      labelNames: ['rule'],
      registers,
    });
    this.writes = new Counter({
      name: `${p}writes_total`,
      help: 'Writes of aws-auth, by kind (create, replace).',
      labelNames: ['kind'],
      registers,
    });
    this.entryChanges = new Counter({
      name: `${p}entry_changes_total`,
      help: 'aws-auth entries written, by change (added, removed, changed).',
      labelNames: ['change'],
      registers,
    });
    this.driftCorrections = new Counter({
      name: `${p}drift_corrections_total`,
      help: 'Writes that set back mappings edited since the hub last wrote them.',
      registers,
    });
    this.lockouts = new Counter({
      name: `${p}lockouts_total`,
      help: 'Writes after which the hub could no longer authenticate to the cluster, by whether the previous data was restored.',
      labelNames: ['restored'],
      registers,
    });
    this.awsRequests = new Counter({
      name: `${p}aws_requests_total`,
      help: 'AWS API calls, by service, operation and outcome (ok or the error class).',
      labelNames: ['service', 'operation', 'outcome'],
      registers,
    });
    this.awsRequestDuration = new Histogram({
      name: `${p}aws_request_duration_seconds`,
      help: 'Duration of AWS API calls, retries included.',
      labelNames: ['service', 'operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.kubeRequests = new Counter({
      name: `${p}kubernetes_requests_total`,
      help: 'Kubernetes API requests, by verb and HTTP code (or error class).',
      labelNames: ['verb', 'code'],
      registers,
    });
    this.sessionRefreshes = new Counter({
      name: `${p}session_refreshes_total`,
      help: 'Account sessions refused by a call (revoked, role deleted or created again, expired), dropped and assumed again, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.buildInfo = new Gauge({
      name: `${p}build_info`,
      help: 'Build information; always 1.',
      labelNames: ['version', 'node'],
      registers,
    });

    this.buildInfo.set({ version: build.version, node: process.version }, 1);
    for (const result of PASS_RESULTS) this.passes.inc({ result }, 0);
    for (const outcome of CLUSTER_OUTCOMES) this.clusterResults.inc({ outcome }, 0);
    for (const rule of GUARD_RULES) this.guardRefusals.inc({ rule }, 0);
    for (const kind of ['create', 'replace']) this.writes.inc({ kind }, 0);
    for (const change of ['added', 'removed', 'changed']) this.entryChanges.inc({ change }, 0);
    this.driftCorrections.inc(0);
    this.passErrors.inc(0);
    this.passTimeouts.inc(0);
    for (const restored of ['true', 'false']) this.lockouts.inc({ restored }, 0);
    for (const reason of REFRESH_REASONS) this.sessionRefreshes.inc({ reason }, 0);
  }

  /** Creates the per-cluster series of a desired state at 0, so dashboards see every cluster before its first pass. */
  knowClusters(clusters: readonly ClusterLabels[]): void {
    for (const c of clusters) this.clusters.know(c);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The whole text format, a chunk at a time: the registry's metrics, then the per-cluster series. */
  async *exposition(): AsyncGenerator<string> {
    yield await this.registry.metrics();
    yield* this.clusters.exposition();
  }

  readonly observer: RequestObserver = {
    aws: (service, operation, outcome, durationMs) => {
      this.awsRequests.inc({ service, operation, outcome });
      this.awsRequestDuration.observe({ service, operation }, durationMs / 1000);
    },
    kube: (verb, code) => {
      this.kubeRequests.inc({ verb, code });
    },
    sessionRefresh: (reason) => {
      this.sessionRefreshes.inc({ reason });
    },
  };

  recordPass(report: PassSummary): void {
    this.passes.inc({ result: passResult(report) });
    if (report.cutShort === 'pass.timeout') this.passTimeouts.inc();
    this.passDuration.observe(report.durationMs / 1000);
    const finished = Date.parse(report.finishedAt) / 1000;
    this.lastPassTimestamp.set(finished);
    for (const r of report.clusters) this.recordCluster(r, finished);
  }

  private recordCluster(r: ClusterSummary, finished: number): void {
    this.clusterResults.inc({ outcome: r.outcome });
    this.clusters.record(
      { id: r.clusterId, name: r.name, account: r.account, region: r.region },
      r.outcome,
      finished,
      // A failed cluster may not have got as far as resolving its permission sets: the last counts stand.
      r.outcome === 'failed' ? undefined : { unresolved: r.unresolved.length, ambiguous: r.ambiguous.length },
    );
    for (const refusal of r.refusals) this.guardRefusals.inc({ rule: refusal.rule });
    if (r.lockout !== undefined) this.lockouts.inc({ restored: String(r.lockout.restored) });
    if (r.outcome === 'applied') {
      this.writes.inc({ kind: r.created ? 'create' : 'replace' });
      this.entryChanges.inc({ change: 'added' }, r.added);
      this.entryChanges.inc({ change: 'removed' }, r.removed);
      this.entryChanges.inc({ change: 'changed' }, r.changed);
      if (r.drift) this.driftCorrections.inc();
    }
  }
}
