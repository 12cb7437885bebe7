/** Pass reports for people: one block per cluster, then a summary line. */
import { type ClusterResult, type Entry, entrySubject, type PassReport, sameGrant } from '@eks-auth-hub/core';

function grant(entry: Entry): string {
  return entry.kind === 'account' ? '(all IAM users of the account)' : `${entry.username} [${entry.groups.join(', ')}]`;
}

function permissionSetOf(result: ClusterResult, entry: Entry): string {
  if (entry.kind !== 'role') return '';
  const lower = entry.rolearn.toLowerCase();
  const resolution = result.resolutions.find((r) => r.status === 'resolved' && r.roleArn.toLowerCase() === lower);
  return resolution === undefined ? '' : `  (permission set ${resolution.permissionSet})`;
}

const HEADLINE: Record<ClusterResult['outcome'], (r: ClusterResult, n: number) => string> = {
  unchanged: () => 'unchanged',
  planned: (_r, n) => `${n} change${n === 1 ? '' : 's'} pending`,
  applied: (r, n) => `${r.created ? 'created aws-auth with ' : 'applied '}${n} change${n === 1 ? '' : 's'}`,
  blocked: (_r, n) => `blocked${n > 0 ? ` (${n} change${n === 1 ? '' : 's'} refused)` : ''}`,
  failed: () => 'failed',
};

export function renderClusterResult(result: ClusterResult): string[] {
  const { added, removed, changed } = result.changes;
  const n = added.length + removed.length + changed.length;
  const lines = [`${result.name}  (${result.account}, ${result.region}): ${HEADLINE[result.outcome](result, n)}`];
  for (const entry of added) lines.push(`  + ${entrySubject(entry)}  ${grant(entry)}${permissionSetOf(result, entry)}`);
  for (const { before, after } of changed) {
    const from = entrySubject(before);
    const to = entrySubject(after);
    const subject = from.toLowerCase() === to.toLowerCase() ? to : `${from} → ${to}`;
    const grants = sameGrant(before, after) ? grant(after) : `${grant(before)} → ${grant(after)}`;
    lines.push(`  ~ ${subject}  ${grants}${permissionSetOf(result, after)}`);
  }
  for (const entry of removed) lines.push(`  - ${entrySubject(entry)}  ${grant(entry)}`);
  for (const name of result.unresolved) {
    const resolution = result.resolutions.find((r) => r.status === 'unresolved' && r.permissionSet === name);
    const hints = resolution?.status === 'unresolved' ? (resolution.didYouMean ?? []) : [];
    const hint = hints.length === 0 ? '' : ` (did you mean ${hints.join(' or ')}? names are compared exactly)`;
    lines.push(`  ? permission set ${name}: no Identity Center role in ${result.account}; its entry is left out${hint}`);
  }
  for (const a of result.ambiguous)
    lines.push(
      `  ? permission set ${a.permissionSet}: ${a.candidates.length} roles match (${a.candidates.join(', ')}); nothing guessed, live entries kept`,
    );
  for (const refusal of result.refusals) lines.push(`  ✗ refused by guard (${refusal.rule}): ${refusal.message}`);
  if (result.error !== undefined) lines.push(`  ✗ ${result.error.code}: ${result.error.message}`);
  for (const warning of result.warnings) lines.push(`  ! ${warning}`);
  return lines;
}

export function summaryLine(report: PassReport): string {
  const c = report.counts;
  const total = report.clusters.length;
  const changed = report.dryRun ? `${c.planned} with changes pending` : `${c.applied} applied`;
  const shard = report.shard === undefined ? '' : `${/^\d+\/\d+$/.test(report.shard) ? 'shard ' : ''}${report.shard}, `;
  return `${total} cluster${total === 1 ? '' : 's'}: ${changed}, ${c.unchanged} unchanged, ${c.blocked} blocked, ${c.failed} failed (${shard}pass ${report.passId}, ${report.durationMs} ms)`;
}

export function renderReport(report: PassReport): string {
  return [...report.clusters.flatMap(renderClusterResult), '', summaryLine(report)].join('\n');
}
