/**
 * The command line's exit codes: 0 success, 1 error (bad file, bad arguments, failure), 2 reserved for
 * `plan` with pending changes, 3 for unresolved permission sets when asked to fail on them.
 */
import type { PassReport } from '@eks-auth-hub/core';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** `plan`: changes are pending. */
export const EXIT_CHANGES = 2;
/** `plan`/`apply --fail-on-unresolved`: a permission set resolved to no role in a cluster's account. */
export const EXIT_UNRESOLVED = 3;

/**
 * plan: 1 when any cluster blocked or failed, else 3 when asked to fail on unresolved permission sets
 * and there are some, else 2 when changes are pending, else 0. apply: the same without 2.
 */
export function exitCode(report: PassReport, options: { readonly failOnUnresolved?: boolean } = {}): number {
  if (report.counts.failed > 0 || report.counts.blocked > 0) return EXIT_ERROR;
  if (options.failOnUnresolved === true && report.clusters.some((c) => c.unresolved.length > 0)) return EXIT_UNRESOLVED;
  if (report.dryRun && report.counts.planned > 0) return EXIT_CHANGES;
  return EXIT_OK;
}
