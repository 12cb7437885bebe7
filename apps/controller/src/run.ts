/** `run`: the service: passes on an interval, and the HTTP server for metrics, health and status. */

import { createAwsPorts } from '@eks-auth-hub/aws';
import { type ClusterSelection, type DesiredState, type Ports, selectClusters, selectionLabel } from '@eks-auth-hub/core';
import { Registry } from 'prom-client';
import { ConfigWatcher } from './config-watch.js';
import { createLogger, type Logger } from './logging.js';
import { HubMetrics } from './metrics.js';
import { createApp, type HttpLimits, type Listen, listen } from './server.js';
import { HubService, STOP_GRACE_MS } from './service.js';
import type { StatusView } from './status.js';
import { VERSION } from './version.js';

// What a caller needs to build StartOptions: a logger and a listen address.
export { createLogger, type Logger } from './logging.js';
export { type Listen, parseListen } from './server.js';

export interface RunningHub {
  readonly service: HubService;
  readonly metrics: HubMetrics;
  readonly url: string;
  /** Stops taking work, lets started clusters finish for `graceMs`, aborts the rest, closes the server. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** The desired state; or give `configFile` to load it and reload it when it changes. */
  readonly state?: DesiredState;
  /** The desired-state file: loaded now (its error thrown), looked at before every pass, reloaded when changed (config-watch.ts). */
  readonly configFile?: string;
  readonly listen: Listen;
  readonly logger?: Logger;
  /** Build the ports with the metrics' request observer; default: AWS adapters from the SDK's settings. */
  readonly makePorts?: (observer: HubMetrics['observer']) => Ports;
  readonly intervalMs?: number;
  /** The clock health is judged by (tests move it). */
  readonly now?: () => number;
  /** The HTTP server's timeouts and connection cap; default HTTP_LIMITS. */
  readonly http?: Partial<HttpLimits>;
  /** Only the clusters of this shard's accounts (`run --shard 2/8`), of the file and of every reload; the metrics carry the shard. */
  readonly shard?: Extract<ClusterSelection, { readonly kind: 'shard' }>;
}

export async function startHub(options: StartOptions): Promise<RunningHub> {
  const logger = options.logger ?? createLogger();
  const registry = new Registry();
  const selection: ClusterSelection = options.shard ?? { kind: 'all' };
  const shard = selectionLabel(selection);
  const metrics = new HubMetrics(registry, { version: VERSION }, shard === undefined ? {} : { shard });
  const watcher = options.configFile === undefined ? undefined : await ConfigWatcher.open(options.configFile, logger, registry);
  const whole = watcher?.state ?? options.state;
  if (whole === undefined) throw new Error('startHub needs a state or a configFile');
  // The selection of each state the watcher gives, made once per state (the service tells a new state by identity).
  let selected = { whole, state: selectClusters(whole, selection) };
  const select = (next: DesiredState): DesiredState => {
    if (next !== selected.whole) selected = { whole: next, state: selectClusters(next, selection) };
    return selected.state;
  };
  const state = selected.state;
  const ports = (options.makePorts ?? ((observer) => createAwsPorts({ hub: state.hub, observer })))(metrics.observer);
  const service = new HubService({
    state,
    ...(watcher === undefined ? {} : { currentState: async () => select(await watcher.current()) }),
    ports,
    metrics,
    logger,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(shard === undefined ? {} : { shard }),
  });
  const status = (): StatusView => {
    const view = service.status();
    if (watcher === undefined) return view;
    const { fileHash, loadedAt, lastReload } = watcher.status();
    return { ...view, config: { ...view.config, fileHash, loadedAt, lastReload } };
  };
  const { server, url } = await listen(createApp({ metrics, status }), options.listen, options.http);
  logger.info(
    { url, clusters: state.clusters.length, interval: state.hub.interval, config: state.file, ...(shard === undefined ? {} : { shard }) },
    'hub started',
  );
  service.start();
  return {
    service,
    metrics,
    url,
    async stop(graceMs = STOP_GRACE_MS) {
      await service.stop(graceMs);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      logger.info({}, 'hub stopped');
    },
  };
}

/** After SIGTERM the process is gone within this long, whatever still holds it (ECS waits 30 s, then kills). */
export const EXIT_WITHIN_MS = 9_000;

/**
 * Runs until SIGTERM or SIGINT, then stops: started clusters get STOP_GRACE_MS to finish, then what
 * is in flight is aborted. Should anything still hold the process (a socket, a timer), it exits 0
 * anyway EXIT_WITHIN_MS after the signal.
 */
export async function runUntilSignalled(options: StartOptions): Promise<number> {
  const hub = await startHub(options);
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  setTimeout(() => process.exit(0), EXIT_WITHIN_MS).unref();
  await hub.stop();
  return 0;
}
