/**
 * Prometheus metrics of the hub, on a registry passed in (no globals). Names follow Prometheus
 * conventions: prefix `eks_auth_hub_`, counters end in `_total`, durations in `_seconds`,
 * timestamps in `_timestamp_seconds`. Known series exist at 0 from the start. prom-client's default
 * process and Node.js metrics keep their standard names (`process_*`, `nodejs_*`).
 *
 * The per-cluster gauges (eight series per cluster) are not prom-client metrics: prom-client keeps a
 * labels object and a key string per series, about 2.5 KB per cluster. `ClusterSeries` keeps four
 * numbers per cluster and writes their text at scrape time, in chunks (`exposition`).
 *
 * A service that runs one shard (`run --shard 2/8`) labels every series `shard="2/8"`: a constant of
 * the process, like a target label, so that the shards' series stay apart however they are scraped.
 */

import { REFRESH_REASONS, type RequestObserver } from '@eks-auth-hub/aws';
import { CLUSTER_OUTCOMES, type ClusterEntry, type ClusterOutcome, GUARD_RULES, type PassReport } from '@eks-auth-hub/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
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

/** The labels that name a cluster's series. */
export interface ClusterLabels {
  readonly id: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value as prom-client writes it. */
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return String(value);
}

const CLUSTER_HELP = {
  lastSuccess: 'When the cluster was last found or made equal to the desired state (unchanged or applied).',
  lastOutcome: 'Outcome of the last pass per cluster: 1 for the outcome it had, 0 for the others.',
  unresolved: 'Permission sets of the cluster with no Identity Center role in its account (their entries are left out).',
  ambiguous: 'Permission sets of the cluster with more than one matching role (never guessed).',
} as const;

/** Text written per chunk of the exposition, about. */
const CHUNK_CHARS = 64 * 1024;

/**
 * `cluster_last_outcome` (one series per outcome, 1 for the cluster's last), `cluster_last_success_timestamp_seconds`
 * (from the first success on), `unresolved_permission_sets` and `ambiguous_permission_sets`, labelled
 * `cluster`, `account`, `region`: four numbers per cluster, in the order clusters became known.
 */
export class ClusterSeries {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly accounts: string[] = [];
  private readonly regions: string[] = [];
  /** Index into CLUSTER_OUTCOMES; -1 before the first pass. */
  private readonly outcome: number[] = [];
  /** Seconds since the epoch; NaN before the first success (no series). */
  private readonly lastSuccess: number[] = [];
  private readonly unresolvedCount: number[] = [];
  private readonly ambiguousCount: number[] = [];
  /** The constant labels as text, each after a comma (or empty). */
  private readonly constantText: string;

  /** `prefix` of the names; `constant` labels (the shard) follow each series' own labels, as prom-client writes its default labels. */
  constructor(
    private readonly prefix: string,
    constant: Readonly<Record<string, string>> = {},
  ) {
    this.constantText = Object.entries(constant)
      .map(([name, value]) => `,${name}="${escapeLabel(value)}"`)
      .join('');
  }

  get size(): number {
    return this.names.length;
  }

  /** The cluster's position, made (its series at 0) when it is new. */
  know(cluster: ClusterLabels): number {
    const known = this.index.get(cluster.id);
    if (known !== undefined) return known;
    const i = this.names.length;
    this.index.set(cluster.id, i);
    this.names.push(cluster.name);
    this.accounts.push(cluster.account);
    this.regions.push(cluster.region);
    this.outcome.push(-1);
    this.lastSuccess.push(Number.NaN);
    this.unresolvedCount.push(0);
    this.ambiguousCount.push(0);
    return i;
  }

  /** A cluster's result in a pass that finished at `finishedSeconds`. */
  record(
    cluster: ClusterLabels,
    outcome: ClusterOutcome,
    finishedSeconds: number,
    permissionSets: { readonly unresolved: number; readonly ambiguous: number } | undefined,
  ): void {
    const i = this.know(cluster);
    this.outcome[i] = CLUSTER_OUTCOMES.indexOf(outcome);
    if (outcome === 'unchanged' || outcome === 'applied') this.lastSuccess[i] = finishedSeconds;
    if (permissionSets !== undefined) {
      this.unresolvedCount[i] = permissionSets.unresolved;
      this.ambiguousCount[i] = permissionSets.ambiguous;
    }
  }

  /** The four families in the text format, a chunk at a time, as they are at the call. */
  *exposition(): Generator<string> {
    const n = this.names.length;
    const names = this.names.slice(0, n);
    const accounts = this.accounts.slice(0, n);
    const regions = this.regions.slice(0, n);
    const outcome = this.outcome.slice(0, n);
    const lastSuccess = this.lastSuccess.slice(0, n);
    const unresolved = this.unresolvedCount.slice(0, n);
    const ambiguous = this.ambiguousCount.slice(0, n);
    const labels = (i: number): string =>
      `cluster="${escapeLabel(names[i] ?? '')}",account="${escapeLabel(accounts[i] ?? '')}",region="${escapeLabel(regions[i] ?? '')}"`;
    const constant = this.constantText;
    const family = function* (name: string, help: string, sample: (i: number, labelText: string) => string): Generator<string> {
      let chunk = `\n# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n`;
      for (let i = 0; i < n; i++) {
        chunk += sample(i, labels(i));
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk !== '') yield chunk;
    };
    const p = this.prefix;
    yield* family(`${p}cluster_last_success_timestamp_seconds`, CLUSTER_HELP.lastSuccess, (i, l) => {
      const value = lastSuccess[i] ?? Number.NaN;
      return Number.isNaN(value) ? '' : `${p}cluster_last_success_timestamp_seconds{${l}${constant}} ${valueText(value)}\n`;
    });
    yield* family(`${p}cluster_last_outcome`, CLUSTER_HELP.lastOutcome, (i, l) =>
      CLUSTER_OUTCOMES.map((o, k) => `${p}cluster_last_outcome{${l},outcome="${o}"${constant}} ${outcome[i] === k ? 1 : 0}\n`).join(''),
    );
    yield* family(
      `${p}unresolved_permission_sets`,
      CLUSTER_HELP.unresolved,
      (i, l) => `${p}unresolved_permission_sets{${l}${constant}} ${valueText(unresolved[i] ?? 0)}\n`,
    );
    yield* family(
      `${p}ambiguous_permission_sets`,
      CLUSTER_HELP.ambiguous,
      (i, l) => `${p}ambiguous_permission_sets{${l}${constant}} ${valueText(ambiguous[i] ?? 0)}\n`,
    );
  }
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
