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
import { type LambdaContextLike, lambdaPassDeadline } from './lambda-deadline.js';
import { emfLine } from './lambda-emf.js';
import { parseHubEvent } from './lambda-event.js';
import { createLogger, type Logger, logPass } from './logging.js';

/** What one invocation returns: the pass's counts and the clusters that failed or were blocked. */
export interface LambdaPassResult {
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

export function summarizePass(report: PassReport): LambdaPassResult {
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

export function createHandler(deps: HandlerDeps = {}): (event: unknown, context?: LambdaContextLike) => Promise<LambdaPassResult> {
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
export const handler: (event: unknown, context?: LambdaContextLike) => Promise<LambdaPassResult> = createHandler();
