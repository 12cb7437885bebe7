/**
 * Prometheus metrics of the hub, on a registry passed in (no globals). Names follow Prometheus
 * conventions: prefix `eks_auth_hub_`, counters end in `_total`, durations in `_seconds`,
 * timestamps in `_timestamp_seconds`. Known series exist at 0 from the start.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { RequestObserver } from '@eks-auth-hub/aws';
import { CLUSTER_OUTCOMES, GUARD_RULES, type ClusterSpec, type PassReport } from '@eks-auth-hub/core';

export const PASS_RESULTS = ['success', 'partial', 'failure', 'interrupted'] as const;
export type PassResult = (typeof PASS_RESULTS)[number];

/** success: no cluster failed or was blocked; failure: none converged; partial: in between; interrupted: stopped before every cluster started. */
export function passResult(report: PassReport): PassResult {
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
  readonly passDuration: Histogram;
  readonly lastPassTimestamp: Gauge;
  readonly clusterResults: Counter<'outcome'>;
  readonly clusterLastSuccess: Gauge<'cluster' | 'account' | 'region'>;
  readonly clusterLastOutcome: Gauge<'cluster' | 'account' | 'region' | 'outcome'>;
  readonly unresolved: Gauge<'cluster' | 'account' | 'region'>;
  readonly ambiguous: Gauge<'cluster' | 'account' | 'region'>;
  readonly guardRefusals: Counter<'rule'>;
  readonly writes: Counter<'kind'>;
  readonly entryChanges: Counter<'change'>;
  readonly driftCorrections: Counter;
  readonly lockouts: Counter<'restored'>;
  readonly awsRequests: Counter<'service' | 'operation' | 'outcome'>;
  readonly awsRequestDuration: Histogram<'service' | 'operation'>;
  readonly kubeRequests: Counter<'verb' | 'code'>;
  readonly buildInfo: Gauge<'version' | 'node'>;

  constructor(
    readonly registry: Registry,
    build: BuildInfo,
    options: { readonly processMetrics?: boolean } = {},
  ) {
    const registers = [registry];
    const p = 'eks_auth_hub_';
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: registry, prefix: p });
      // prom-client also exports these sums as gauges named `_total`, which Prometheus reserves for
      // counters; the per-type gauges without the suffix (nodejs_active_handles{type}, …) remain.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        registry.removeSingleMetric(`${p}${name}`);
      }
    }
    this.passes = new Counter({ name: `${p}passes_total`, help: 'Reconcile passes, by result (success, partial, failure).', labelNames: ['result'], registers });
    this.passErrors = new Counter({ name: `${p}pass_errors_total`, help: 'Passes that ended in an unexpected error (a bug; see the error log).', registers });
    this.passDuration = new Histogram({
      name: `${p}pass_duration_seconds`,
      help: 'Duration of a reconcile pass.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.lastPassTimestamp = new Gauge({ name: `${p}last_pass_timestamp_seconds`, help: 'When the last pass finished.', registers });
    this.clusterResults = new Counter({ name: `${p}cluster_results_total`, help: 'Per-cluster results of passes, by outcome.', labelNames: ['outcome'], registers });
    this.clusterLastSuccess = new Gauge({
      name: `${p}cluster_last_success_timestamp_seconds`,
      help: 'When the cluster was last found or made equal to the desired state (unchanged or applied).',
      labelNames: ['cluster', 'account', 'region'],
      registers,
    });
    this.clusterLastOutcome = new Gauge({
      name: `${p}cluster_last_outcome`,
      help: 'Outcome of the last pass per cluster: 1 for the outcome it had, 0 for the others.',
      labelNames: ['cluster', 'account', 'region', 'outcome'],
      registers,
    });
    this.unresolved = new Gauge({
      name: `${p}unresolved_permission_sets`,
      help: 'Permission sets of the cluster with no Identity Center role in its account (their entries are left out).',
      labelNames: ['cluster', 'account', 'region'],
      registers,
    });
    this.ambiguous = new Gauge({
      name: `${p}ambiguous_permission_sets`,
      help: 'Permission sets of the cluster with more than one matching role (never guessed).',
      labelNames: ['cluster', 'account', 'region'],
      registers,
    });
    this.guardRefusals = new Counter({ name: `${p}guard_refusals_total`, help: 'Writes refused by the guard, by rule.', labelNames: ['rule'], registers });
    this.writes = new Counter({ name: `${p}writes_total`, help: 'Writes of aws-auth, by kind (create, replace).', labelNames: ['kind'], registers });
    this.entryChanges = new Counter({ name: `${p}entry_changes_total`, help: 'aws-auth entries written, by change (added, removed, changed).', labelNames: ['change'], registers });
    this.driftCorrections = new Counter({ name: `${p}drift_corrections_total`, help: 'Writes that set back mappings edited since the hub last wrote them.', registers });
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
    this.kubeRequests = new Counter({ name: `${p}kubernetes_requests_total`, help: 'Kubernetes API requests, by verb and HTTP code (or error class).', labelNames: ['verb', 'code'], registers });
    this.buildInfo = new Gauge({ name: `${p}build_info`, help: 'Build information; always 1.', labelNames: ['version', 'node'], registers });

    this.buildInfo.set({ version: build.version, node: process.version }, 1);
    for (const result of PASS_RESULTS) this.passes.inc({ result }, 0);
    for (const outcome of CLUSTER_OUTCOMES) this.clusterResults.inc({ outcome }, 0);
    for (const rule of GUARD_RULES) this.guardRefusals.inc({ rule }, 0);
    for (const kind of ['create', 'replace']) this.writes.inc({ kind }, 0);
    for (const change of ['added', 'removed', 'changed']) this.entryChanges.inc({ change }, 0);
    this.driftCorrections.inc(0);
    this.passErrors.inc(0);
    for (const restored of ['true', 'false']) this.lockouts.inc({ restored }, 0);
  }

  /** Creates the per-cluster series of a desired state at 0, so dashboards see every cluster before its first pass. */
  knowClusters(clusters: readonly ClusterSpec[]): void {
    for (const c of clusters) {
      const labels = { cluster: c.name, account: c.account, region: c.region };
      this.unresolved.set(labels, 0);
      this.ambiguous.set(labels, 0);
      for (const outcome of CLUSTER_OUTCOMES) this.clusterLastOutcome.set({ ...labels, outcome }, 0);
    }
  }

  readonly observer: RequestObserver = {
    aws: (service, operation, outcome, durationMs) => {
      this.awsRequests.inc({ service, operation, outcome });
      this.awsRequestDuration.observe({ service, operation }, durationMs / 1000);
    },
    kube: (verb, code) => {
      this.kubeRequests.inc({ verb, code });
    },
  };

  recordPass(report: PassReport): void {
    this.passes.inc({ result: passResult(report) });
    this.passDuration.observe(report.durationMs / 1000);
    const finished = Date.parse(report.finishedAt) / 1000;
    this.lastPassTimestamp.set(finished);
    for (const r of report.clusters) {
      const labels = { cluster: r.name, account: r.account, region: r.region };
      this.clusterResults.inc({ outcome: r.outcome });
      for (const outcome of CLUSTER_OUTCOMES) this.clusterLastOutcome.set({ ...labels, outcome }, outcome === r.outcome ? 1 : 0);
      if (r.outcome === 'unchanged' || r.outcome === 'applied') this.clusterLastSuccess.set(labels, finished);
      if (r.outcome !== 'failed') {
        this.unresolved.set(labels, r.unresolved.length);
        this.ambiguous.set(labels, r.ambiguous.length);
      }
      for (const refusal of r.refusals) this.guardRefusals.inc({ rule: refusal.rule });
      if (r.lockout !== undefined) this.lockouts.inc({ restored: String(r.lockout.restored) });
      if (r.outcome === 'applied') {
        this.writes.inc({ kind: r.created ? 'create' : 'replace' });
        this.entryChanges.inc({ change: 'added' }, r.changes.added.length);
        this.entryChanges.inc({ change: 'removed' }, r.changes.removed.length);
        this.entryChanges.inc({ change: 'changed' }, r.changes.changed.length);
        if (r.drift) this.driftCorrections.inc();
      }
    }
  }
}
