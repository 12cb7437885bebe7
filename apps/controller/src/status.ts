/** What `/status` shows: the last pass per cluster, without secrets (reports never hold any). */
import { changeCount, type PassReport } from '@eks-auth-hub/core';

export interface StatusView {
  readonly ready: boolean;
  readonly config: { readonly file: string; readonly clusters: number; readonly desiredHash: string };
  readonly passes: number;
  readonly lastPass: PassReport | null;
  readonly nextPassAt: string | null;
  readonly running: boolean;
}

export function statusSummary(report: PassReport | null): Record<string, unknown>[] {
  return (report?.clusters ?? []).map((c) => ({
    cluster: c.name,
    account: c.account,
    region: c.region,
    outcome: c.outcome,
    changes: changeCount(c),
    unresolved: c.unresolved,
    ambiguous: c.ambiguous.map((a) => a.permissionSet),
    refusals: c.refusals.map((r) => r.rule),
    error: c.error?.code ?? null,
  }));
}
