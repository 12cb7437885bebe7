/**
 * The long-running mode: a pass at start, then one every `hub.interval` (±10% jitter), never two at
 * once. Every pass has a deadline (`hub.passTimeout`): then its calls in flight are aborted and the
 * clusters not finished fail with `pass.timeout`. Stopping takes no new work, lets clusters already
 * started finish for a short grace, then aborts what is still in flight (`hub.stopping`) and returns.
 *
 * Health, in the manner of cluster-autoscaler's `--max-inactivity`: the service is stalled when a
 * pass runs past its deadline plus a grace, or when no pass has started for two intervals after the
 * last one ended; `/healthz` then answers 503 so that the orchestrator replaces the process.
 *
 * Each cluster's result is logged as soon as the cluster is done, and only its summary is kept (see
 * status.ts): what the service holds between passes and during one stays small per cluster.
 */

import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { type DesiredState, HubError, PlanMemo, type Ports, reconcile } from '@eks-auth-hub/core';
import { type PassDeadline, passDeadline, stopping } from './deadline.js';
import { InFlight, trackedPorts } from './in-flight.js';
import { type Logger, logCluster, logPassEnd } from './logging.js';
import type { HubMetrics } from './metrics.js';
import { stallOf } from './stall.js';
import { type PassSummary, type StatusView, summarizeCluster } from './status.js';

/** How long a pass may run past its deadline before the service counts as stalled. */
export const STALL_GRACE_MS = 30_000;
/** How long `stop` lets the clusters already started finish before it aborts them. */
export const STOP_GRACE_MS = 5_000;

export interface HubServiceOptions {
  /** The desired state at start. */
  readonly state: DesiredState;
  /**
   * The desired state in force, asked at the start of each pass (a reloaded file: config-watch.ts);
   * default: `state` always. It must not throw; the service keeps its state if it does.
   */
  readonly currentState?: () => Promise<DesiredState>;
  readonly ports: Ports;
  readonly metrics: HubMetrics;
  readonly logger: Logger;
  /** A number in [0, 1) for the jitter; injectable for tests. */
  readonly random?: () => number;
  readonly intervalMs?: number;
  /** The clock health is judged by (tests move it); default Date.now. */
  readonly now?: () => number;
  readonly stallGraceMs?: number;
  /** The shard the states cover (`run --shard 2/8`), named in every pass's report and logs. */
  readonly shard?: string;
}

export class HubService {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<PassSummary> | undefined;
  private abort = new AbortController();
  private stopped = false;
  private passes = 0;
  private lastReport: PassSummary | null = null;
  private nextPassAt: Date | null = null;
  /** The running pass's start and deadline. */
  private running: { readonly startedAt: number; readonly deadline: PassDeadline } | undefined;
  /** When the last pass ended, or the service started. */
  private idleSince: number;
  private readonly inFlight: InFlight;
  private readonly ports: Ports;
  private readonly now: () => number;
  /** No-op plans kept from pass to pass: a cluster whose inputs are all the same again is not planned again. */
  private readonly memo: PlanMemo;
  /** The desired state of the last pass started (or the one given, before the first). */
  private state: DesiredState;

  constructor(private readonly options: HubServiceOptions) {
    this.state = options.state;
    options.metrics.knowClusters(options.state.clusters);
    this.now = options.now ?? Date.now;
    this.idleSince = this.now();
    this.inFlight = new InFlight(this.now);
    this.ports = trackedPorts(options.ports, this.inFlight);
    this.memo = new PlanMemo(Math.max(1_000, 2 * options.state.clusters.length));
  }

  get ready(): boolean {
    return this.lastReport !== null;
  }

  /** Runs the first pass now and schedules the next ones. */
  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    try {
      await this.runPass();
    } catch (error) {
      if (!this.stopped) {
        this.options.metrics.passErrors.inc();
        this.options.logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'pass crashed');
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const interval = this.options.intervalMs ?? this.state.hub.intervalMs;
    const jitter = 0.9 + 0.2 * (this.options.random ?? Math.random)();
    const delay = Math.round(interval * jitter);
    this.nextPassAt = new Date(Date.now() + delay);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  /** One pass (its summary); when a pass is already running, its result (never two at once). */
  runPass(): Promise<PassSummary> {
    if (this.current !== undefined) return this.current;
    if (this.stopped) return Promise.reject(new HubError('transient', 'hub.stopping', 'the hub is stopping; no new pass starts'));
    const { hub } = this.state;
    const startedAt = this.now();
    const deadline = passDeadline(hub.passTimeoutMs, hub.passTimeout, startedAt);
    this.running = { startedAt, deadline };
    const pass = (async () => {
      const passId = randomUUID();
      const { logger } = this.options;
      const state = await this.refreshState();
      const report = await reconcile(state, this.ports, {
        passId,
        dryRun: false,
        signal: this.abort.signal,
        deadline: deadline.signal,
        memo: this.memo,
        ...(this.options.shard === undefined ? {} : { shard: this.options.shard }),
        onResult: (result) => {
          logCluster(logger, result, passId);
          return summarizeCluster(result);
        },
      });
      if (report.cutShort !== undefined)
        logger.warn({ passId, code: report.cutShort, deadline: deadline.at.toISOString() }, 'pass cut short');
      this.passes += 1;
      this.lastReport = report;
      this.options.metrics.recordPass(report);
      logPassEnd(logger, report);
      return report;
    })();
    this.current = pass;
    void pass
      .finally(() => {
        deadline.dispose();
        if (this.current === pass) {
          this.current = undefined;
          this.running = undefined;
          this.idleSince = this.now();
        }
      })
      .catch(() => undefined);
    return pass;
  }

  /** The state in force for a new pass: the provider's, with the new clusters' series made. */
  private async refreshState(): Promise<DesiredState> {
    if (this.options.currentState === undefined) return this.state;
    const state = await this.options.currentState().catch(() => this.state);
    if (state !== this.state) {
      this.state = state;
      this.options.metrics.knowClusters(state.clusters);
    }
    return state;
  }

  /**
   * Takes no new work; waits up to `graceMs` for the running pass's started clusters to finish, then
   * aborts what is still in flight (those clusters fail with `hub.stopping`) and waits for the pass
   * to end, which it does at once: reconcile stops waiting on an aborted call.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextPassAt = null;
    this.abort.abort();
    const running = this.current;
    if (running === undefined) return;
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      settled,
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    if (timeout !== undefined) clearTimeout(timeout);
    this.running?.deadline.end(stopping());
    await settled;
  }

  status(): StatusView {
    const now = this.now();
    const interval = this.options.intervalMs ?? this.state.hub.intervalMs;
    const stall = stallOf({
      now,
      stopped: this.stopped,
      running:
        this.running === undefined ? undefined : { startedAt: this.running.startedAt, deadlineAt: this.running.deadline.at.getTime() },
      idleSince: this.idleSince,
      intervalMs: interval,
      graceMs: this.options.stallGraceMs ?? STALL_GRACE_MS,
    });
    return {
      ready: this.ready,
      // The file's name, not this machine's path to it.
      config: { file: basename(this.state.file), clusters: this.state.clusters.length, desiredHash: this.state.hash },
      passes: this.passes,
      lastPass: this.lastReport,
      nextPassAt: this.nextPassAt?.toISOString() ?? null,
      running: this.current !== undefined,
      passStartedAt: this.running === undefined ? null : new Date(this.running.startedAt).toISOString(),
      passDeadline: this.running?.deadline.at.toISOString() ?? null,
      stalled: stall,
      // What the pass is waiting for: shown whenever a pass runs (all of it matters once stalled).
      inFlight: this.running === undefined ? [] : this.inFlight.list(),
    };
  }
}
