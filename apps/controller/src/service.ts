/**
 * The long-running mode: a pass at start, then one every `hub.interval` (±10% jitter), never two at
 * once. Stopping takes no new work, lets clusters already started finish (bounded), then returns.
 *
 * Each cluster's result is logged as soon as the cluster is done, and only its summary is kept (see
 * status.ts): what the service holds between passes and during one stays small per cluster.
 */
import { HubError, PlanMemo, reconcile, type DesiredState, type Ports } from '@eks-auth-hub/core';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { logCluster, logPassEnd, type Logger } from './logging.js';
import type { HubMetrics } from './metrics.js';
import { summarizeCluster, type PassSummary, type StatusView } from './status.js';

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
}

export class HubService {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<PassSummary> | undefined;
  private abort = new AbortController();
  private stopped = false;
  private passes = 0;
  private lastReport: PassSummary | null = null;
  private nextPassAt: Date | null = null;
  /** No-op plans kept from pass to pass: a cluster whose inputs are all the same again is not planned again. */
  private readonly memo: PlanMemo;
  /** The desired state of the last pass started (or the one given, before the first). */
  private state: DesiredState;

  constructor(private readonly options: HubServiceOptions) {
    this.state = options.state;
    options.metrics.knowClusters(options.state.clusters);
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
    const pass = (async () => {
      const passId = randomUUID();
      const { logger } = this.options;
      const state = await this.refreshState();
      const report = await reconcile(state, this.options.ports, {
        passId,
        dryRun: false,
        signal: this.abort.signal,
        memo: this.memo,
        onResult: (result) => {
          logCluster(logger, result, passId);
          return summarizeCluster(result);
        },
      });
      this.passes += 1;
      this.lastReport = report;
      this.options.metrics.recordPass(report);
      logPassEnd(logger, report);
      return report;
    })();
    this.current = pass;
    void pass.finally(() => {
      if (this.current === pass) this.current = undefined;
    }).catch(() => undefined);
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

  /** Takes no new work; waits up to `graceMs` for the running pass (its started clusters) to finish. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextPassAt = null;
    this.abort.abort();
    const running = this.current;
    if (running === undefined) return;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      running.then(() => undefined, () => undefined),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    if (timeout !== undefined) clearTimeout(timeout);
  }

  status(): StatusView {
    return {
      ready: this.ready,
      // The file's name, not this machine's path to it.
      config: { file: basename(this.state.file), clusters: this.state.clusters.length, desiredHash: this.state.hash },
      passes: this.passes,
      lastPass: this.lastReport,
      nextPassAt: this.nextPassAt?.toISOString() ?? null,
      running: this.current !== undefined,
    };
  }
}
