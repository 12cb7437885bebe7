/**
 * JSON logs with pino: constant messages, facts in fields. One line per cluster per pass (the
 * service writes it as soon as the cluster is done), one per pass. Secret-bearing keys are redacted
 * wherever they appear, as a second line of defence: nothing the hub logs is meant to hold one.
 */

import { type ClusterEntry, type ClusterResult, changeCount, type PassReport } from '@eks-auth-hub/core';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

const REDACT = [
  '*.secretAccessKey',
  '*.sessionToken',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.credentials',
  'secretAccessKey',
  'sessionToken',
  'token',
  'credentials',
];

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service: 'eks-auth-hub' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** Unresolved permission set → the account's near misses, when there are any (`{}` otherwise). */
function didYouMean(result: ClusterResult): { didYouMean?: Record<string, readonly string[]> } {
  const hints: Record<string, readonly string[]> = {};
  for (const r of result.resolutions) if (r.status === 'unresolved' && r.didYouMean !== undefined) hints[r.permissionSet] = r.didYouMean;
  return Object.keys(hints).length === 0 ? {} : { didYouMean: hints };
}

function clusterFields(result: ClusterResult, passId: string): Record<string, unknown> {
  return {
    passId,
    cluster: result.name,
    account: result.account,
    region: result.region,
    outcome: result.outcome,
    added: result.changes.added.length,
    removed: result.changes.removed.length,
    changed: result.changes.changed.length,
    drift: result.drift,
    unresolved: result.unresolved,
    ...didYouMean(result),
    ambiguous: result.ambiguous.map((a) => a.permissionSet),
    refusals: result.refusals.map((r) => ({ rule: r.rule, message: r.message })),
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(result.lockout === undefined ? {} : { lockout: result.lockout }),
    attempts: result.attempts,
    durationMs: result.durationMs,
  };
}

/** A cluster's line (warn for blocked, error for failed), and at debug its warnings and entry changes. */
export function logCluster(logger: Logger, result: ClusterResult, passId: string): void {
  const fields = clusterFields(result, passId);
  if (result.lockout !== undefined) logger.error(fields, 'lockout detected');
  else if (result.outcome === 'failed') logger.error(fields, 'cluster failed');
  else if (result.outcome === 'blocked') logger.warn(fields, 'cluster blocked');
  else logger.info(fields, 'cluster reconciled');
  if (result.warnings.length > 0) logger.debug({ passId, cluster: result.name, warnings: result.warnings }, 'cluster warnings');
  if (changeCount(result) > 0) {
    logger.debug({ passId, cluster: result.name, changes: result.changes }, 'cluster changes');
  }
}

/** The pass's line: `pass finished`, or `pass interrupted` when clusters were skipped. */
export function logPassEnd(logger: Logger, report: PassReport<ClusterEntry>): void {
  const fields = {
    passId: report.passId,
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    counts: report.counts,
    desiredHash: report.desiredHash,
    ...(report.shard === undefined ? {} : { shard: report.shard }),
  };
  if (report.skipped.length > 0) logger.info({ ...fields, skipped: report.skipped.length }, 'pass interrupted');
  else logger.info(fields, 'pass finished');
}

/** One line per cluster (in file order), then one for the pass. */
export function logPass(logger: Logger, report: PassReport): void {
  for (const result of report.clusters) logCluster(logger, result, report.passId);
  logPassEnd(logger, report);
}
