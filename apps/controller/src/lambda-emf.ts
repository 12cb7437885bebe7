/** The Lambda mode's metrics: one CloudWatch Embedded Metric Format log line per pass. */
import type { PassReport } from '@eks-auth-hub/core';

export const EMF_NAMESPACE = 'EksAuthHub';

/**
 * One EMF line for a pass: CloudWatch turns its fields into metrics. A shard's pass also reports
 * each metric with a `Shard` dimension (`2/8`), beside the fleet-wide series.
 */
export function emfLine(report: PassReport, timestampMs: number): string {
  const shard = report.shard !== undefined && /^\d+\/\d+$/.test(report.shard) ? report.shard : undefined;
  const values: Record<string, number> = {
    PassDuration: report.durationMs / 1000,
    ClustersUnchanged: report.counts.unchanged,
    ClustersApplied: report.counts.applied,
    ClustersPlanned: report.counts.planned,
    ClustersBlocked: report.counts.blocked,
    ClustersFailed: report.counts.failed,
    GuardRefusals: report.clusters.reduce((n, c) => n + c.refusals.length, 0),
    DriftCorrections: report.clusters.filter((c) => c.outcome === 'applied' && c.drift).length,
    UnresolvedPermissionSets: report.clusters.reduce((n, c) => n + c.unresolved.length, 0),
    AmbiguousPermissionSets: report.clusters.reduce((n, c) => n + c.ambiguous.length, 0),
  };
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: EMF_NAMESPACE,
          Dimensions: shard === undefined ? [[]] : [[], ['Shard']],
          Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: name === 'PassDuration' ? 'Seconds' : 'Count' })),
        },
      ],
    },
    passId: report.passId,
    ...(report.shard === undefined ? {} : { shard: report.shard }),
    ...(shard === undefined ? {} : { Shard: shard }),
    ...values,
  });
}
