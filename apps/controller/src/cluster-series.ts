/**
 * The per-cluster gauges (eight series per cluster) of /metrics. They are not prom-client metrics:
 * prom-client keeps a labels object and a key string per series, about 2.5 KB per cluster.
 * `ClusterSeries` keeps four numbers per cluster and writes their text at scrape time, in chunks
 * (`exposition`), exactly as prom-client would write the same gauges.
 */

import { CLUSTER_OUTCOMES, type ClusterOutcome } from '@eks-auth-hub/core';

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
