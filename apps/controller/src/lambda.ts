/**
 * The Lambda mode: one pass per invocation (an EventBridge schedule, or one shard of a Step Functions
 * fan-out: see lambda-event.ts), metrics as CloudWatch Embedded Metric Format log lines, and a failed
 * invocation when any cluster failed. The config is read once per container from EKS_AUTH_HUB_CONFIG
 * (default: hub.yaml beside the function code).
 */
import './env-defaults.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createAwsPorts } from '@eks-auth-hub/aws';
import {
  type DesiredState,
  HubError,
  type PassReport,
  PlanMemo,
  type Ports,
  reconcile,
  selectClusters,
  selectionLabel,
} from '@eks-auth-hub/core';
import { loadConfigFile } from './config-file.js';
import { type PassDeadline, passDeadline } from './deadline.js';
import { parseHubEvent } from './lambda-event.js';
import { createLogger, type Logger, logPass } from './logging.js';

export interface PassSummary {
  readonly passId: string;
  /** The part of the fleet the invocation covered (`2/8`, `accounts …`); absent for the whole fleet. */
  readonly shard?: string;
  readonly dryRun: boolean;
  readonly durationMs: number;
  readonly counts: PassReport['counts'];
  readonly failed: readonly { readonly cluster: string; readonly code: string }[];
  readonly blocked: readonly { readonly cluster: string; readonly rules: readonly string[] }[];
}

export interface HandlerDeps {
  readonly configFile?: () => string;
  readonly makePorts?: (state: DesiredState) => Ports;
  readonly logger?: Logger;
  /** Where EMF lines go (stdout in Lambda). */
  readonly emit?: (line: string) => void;
}

export const EMF_NAMESPACE = 'EksAuthHub';

/** What the handler uses of Lambda's context object. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

/** Time kept back from the function's timeout to end the pass, log it and answer (the pass ends this long before Lambda would kill it). */
export const LAMBDA_RESERVE_MS = 5_000;

/**
 * The pass's deadline in an invocation: `hub.passTimeout`, or sooner when the function would time out
 * first (its remaining time less LAMBDA_RESERVE_MS, or half of it when less is left).
 */
export function lambdaPassDeadline(state: DesiredState, context: LambdaContextLike | undefined): PassDeadline {
  const remaining = context?.getRemainingTimeInMillis();
  if (remaining === undefined || !Number.isFinite(remaining)) return passDeadline(state.hub.passTimeoutMs, state.hub.passTimeout);
  const usable = remaining > 2 * LAMBDA_RESERVE_MS ? remaining - LAMBDA_RESERVE_MS : Math.floor(remaining / 2);
  if (usable >= state.hub.passTimeoutMs) return passDeadline(state.hub.passTimeoutMs, state.hub.passTimeout);
  const left = Math.round(remaining / 1000);
  return passDeadline(
    usable,
    state.hub.passTimeout,
    Date.now(),
    () =>
      new HubError(
        'transient',
        'pass.timeout',
        `the Lambda function was about to time out (${left} s were left when the invocation started) before this was done; the next invocation does it`,
      ),
  );
}

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

export function summarizePass(report: PassReport): PassSummary {
  return {
    passId: report.passId,
    ...(report.shard === undefined ? {} : { shard: report.shard }),
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    counts: report.counts,
    failed: report.clusters.filter((c) => c.outcome === 'failed').map((c) => ({ cluster: c.name, code: c.error?.code ?? 'unknown' })),
    blocked: report.clusters.filter((c) => c.outcome === 'blocked').map((c) => ({ cluster: c.name, rules: c.refusals.map((r) => r.rule) })),
  };
}

export function createHandler(deps: HandlerDeps = {}): (event: unknown, context?: LambdaContextLike) => Promise<PassSummary> {
  // A warm container keeps its ports (sessions, cluster descriptions) and no-op plans between invocations.
  let loaded: Promise<{ state: DesiredState; ports: Ports; memo: PlanMemo }> | undefined;
  const logger = deps.logger ?? createLogger();
  const emit = deps.emit ?? ((line: string) => process.stdout.write(`${line}\n`));
  const configFile =
    deps.configFile ?? (() => process.env['EKS_AUTH_HUB_CONFIG'] ?? join(process.env['LAMBDA_TASK_ROOT'] ?? process.cwd(), 'hub.yaml'));
  return async (event, lambdaContext) => {
    let request;
    try {
      request = parseHubEvent(event);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: { message } }, 'event refused');
      throw new Error(`eks-auth-hub: the event cannot be used: ${message}; no pass was run`);
    }
    // Load once per container; a failed load is retried on the next invocation.
    loaded ??= (async () => {
      const state = await loadConfigFile(configFile());
      return {
        state,
        ports: (deps.makePorts ?? ((s) => createAwsPorts({ hub: s.hub })))(state),
        memo: new PlanMemo(Math.max(1_000, 2 * state.clusters.length)),
      };
    })();
    let context;
    try {
      context = await loaded;
    } catch (error) {
      loaded = undefined;
      const message = error instanceof HubError ? error.message : String(error);
      logger.error({ err: { message } }, 'config not loaded');
      throw new Error(`eks-auth-hub: the desired-state file cannot be used: ${message}`);
    }
    let state: DesiredState;
    try {
      state = selectClusters(context.state, request.selection);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: { message } }, 'event refused');
      throw new Error(`eks-auth-hub: the event cannot be used: ${message}; no pass was run`);
    }
    const shard = selectionLabel(request.selection);
    // Ended before the function's own timeout: clusters not reached are reported (pass.timeout), none is cut off by Lambda mid-write.
    const deadline = lambdaPassDeadline(state, lambdaContext);
    let report: PassReport;
    try {
      report = await reconcile(state, context.ports, {
        passId: randomUUID(),
        dryRun: request.dryRun,
        memo: context.memo,
        deadline: deadline.signal,
        ...(shard === undefined ? {} : { shard }),
      });
    } finally {
      deadline.dispose();
    }
    logPass(logger, report);
    emit(emfLine(report, Date.now()));
    const summary = summarizePass(report);
    if (report.counts.failed > 0) {
      throw new Error(
        `eks-auth-hub: ${report.counts.failed} of ${report.clusters.length} clusters failed: ${summary.failed.map((f) => `${f.cluster} (${f.code})`).join(', ')}`,
      );
    }
    return summary;
  };
}

/** The Lambda entry point. */
export const handler: (event: unknown, context?: LambdaContextLike) => Promise<PassSummary> = createHandler();
