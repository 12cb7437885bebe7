/**
 * The hub under test, in its own process: the controller's `run` mode (`startHub`: the service with
 * its metrics server, the AWS adapters built from the SDK's standard settings, logs to stdout) with
 * the interval set so long that passes happen only when the benchmark asks. The first request starts
 * the hub (its start-up pass is the cold pass); later ones call the service's `runPass`.
 *
 *   node packages/bench/dist/hub-process.js HUB_YAML      (forked by the benchmark, IPC channel)
 *
 * The only addition to the product's code path is a counter around the aws-auth store, to tell the
 * Kubernetes calls apart by purpose.
 */
import { createAwsPorts } from '@eks-auth-hub/aws';
import { loadConfigFile } from '@eks-auth-hub/controller';
import { type RunningHub, startHub } from '@eks-auth-hub/controller/run';
import type { AwsAuthStore } from '@eks-auth-hub/core';
import { type ChildPassResult, measure, peakRssBytes, serveRequests } from './protocol.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: hub-process HUB_YAML');
const state = await loadConfigFile(file);
const kube: Record<string, number> = {};
const count = (purpose: string): void => {
  kube[purpose] = (kube[purpose] ?? 0) + 1;
};

/** The store, counting what each call is for (every method is one request). */
function counted(store: AwsAuthStore): AwsAuthStore {
  return {
    // The pass's signal goes through: a call the deadline aborts ends here as it would in the hub.
    read: (c, e, signal) => {
      count('aws-auth-read');
      return store.read(c, e, signal);
    },
    write: (c, e, change, signal) => {
      count(change.create ? 'aws-auth-create' : 'aws-auth-update');
      return store.write(c, e, change, signal);
    },
    verify: (c, e, signal) => {
      count('access-check');
      return store.verify(c, e, signal);
    },
    readHistory: (c, e, signal) => {
      count('history-read');
      return store.readHistory(c, e, signal);
    },
    writeHistory: (c, e, entries, rv, signal) => {
      count('history-write');
      return store.writeHistory(c, e, entries, rv, signal);
    },
  };
}

let hub: RunningHub | undefined;

/** The heap in use; only what is still reachable when run with --expose-gc (a full collection first). */
function liveHeap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** What the service's runPass answers with. */
type PassSummary = Awaited<ReturnType<RunningHub['service']['runPass']>>;

function summary(report: PassSummary): { outcomes: Record<string, number>; failures: string[] } {
  const failures = report.clusters
    .filter((c) => c.outcome === 'failed' || c.outcome === 'blocked')
    .slice(0, 5)
    .map((c) => `${c.clusterId}: ${c.outcome} ${c.error?.code ?? ''} ${c.error?.message ?? c.refusals.map((r) => r.rule).join(',')}`);
  return { outcomes: { ...report.counts }, failures };
}

serveRequests(async (request) => {
  if (request.cmd === 'stop') {
    await hub?.stop(5_000);
    return undefined;
  }
  for (const key of Object.keys(kube)) delete kube[key];
  const measured = await measure(async () => {
    if (hub === undefined) {
      hub = await startHub({
        state,
        listen: { host: '127.0.0.1', port: 0 },
        intervalMs: 24 * 3_600_000,
        makePorts: (observer) => {
          const ports = createAwsPorts({ hub: state.hub, observer });
          return { ...ports, awsAuth: counted(ports.awsAuth) };
        },
      });
    }
    // The start-up pass when it is still running, else a new one.
    return hub.service.runPass();
  });
  const result: ChildPassResult = {
    wallMs: measured.wallMs,
    cpuUserMs: measured.cpuUserMs,
    cpuSystemMs: measured.cpuSystemMs,
    peakRssBytes: peakRssBytes(),
    heapUsedBytes: liveHeap(),
    kube: { ...kube },
    ...summary(measured.value),
  };
  return { type: 'pass', result };
});
