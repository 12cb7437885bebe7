/**
 * The run loop of the service against the simulator: one pass at a time, a failing pass does not
 * stop the loop, and stop() lets started clusters finish, returns, and ends the passes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RunningHub, startHub } from '../../src/run.js';
import type { PassSummary } from '../../src/status.js';
import {
  demoState,
  explain,
  http,
  memoryLogger,
  outcomes,
  sampleValue,
  scrape,
  simCount,
  sleep,
  useSimulator,
  waitFor,
  writesSeen,
} from './helpers.js';

const h = useSimulator();
const running: RunningHub[] = [];

async function hubFor(options: {
  state?: ReturnType<typeof demoState>;
  intervalMs: number;
  log?: ReturnType<typeof memoryLogger>;
}): Promise<RunningHub> {
  const hub = await startHub({
    state: options.state ?? demoState(),
    listen: { host: '127.0.0.1', port: 0 },
    logger: (options.log ?? memoryLogger()).logger,
    intervalMs: options.intervalMs,
  });
  running.push(hub);
  return hub;
}

/** Every request the simulator has answered, of any kind. */
function simRequests(): number {
  return Object.values(h.sim.control.counters()).reduce((n, c) => n + c.calls, 0);
}

afterEach(async () => {
  h.sim.control.clearFaults();
  for (const hub of running.splice(0)) await hub.stop(2_000);
});

describe('the run loop', () => {
  it('never runs two passes at once: runPass() during a pass returns that pass; passes never overlap', async () => {
    // Slow passes (each cluster's aws-auth read waits 80 ms) on a loop that wants one every ~30 ms.
    h.sim.control.setFault('k8s:get', { latencyMs: 80 });
    const hub = await hubFor({ intervalMs: 30 });
    const reports: PassSummary[] = [];
    const record = hub.metrics.recordPass.bind(hub.metrics);
    vi.spyOn(hub.metrics, 'recordPass').mockImplementation((report) => {
      reports.push(report);
      record(report);
    });

    await waitFor('a pass running', () => hub.service.status().running);
    const recordedBefore = reports.length;
    const a = hub.service.runPass();
    const b = hub.service.runPass();
    expect(b).toBe(a);
    const report = await a;
    // The pass runPass() answered with is the one that was already running, not a new one.
    expect(reports[recordedBefore]?.passId).toBe(report.passId);

    await waitFor('four passes', () => reports.length >= 4, 10_000);
    const byStart = [...reports].sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
    for (let i = 1; i < byStart.length; i += 1) {
      const previous = byStart[i - 1];
      const current = byStart[i];
      if (previous === undefined || current === undefined) throw new Error('unreachable');
      expect(Date.parse(current.startedAt), `pass ${i} started before pass ${i - 1} finished`).toBeGreaterThanOrEqual(
        Date.parse(previous.finishedAt),
      );
    }
    expect(new Set(reports.map((r) => r.passId)).size).toBe(reports.length);
    expect(hub.service.status().passes).toBeGreaterThanOrEqual(reports.length);
  });

  it('keeps running after passes in which every cluster fails (AssumeRole refused: wrong ExternalId)', async () => {
    const state = demoState({ from: 'externalId: example-external-id', to: 'externalId: not-the-external-id' });
    const log = memoryLogger();
    const deniedBefore = simCount(h.sim, 'sts:AssumeRole', 'AccessDenied');
    const hub = await hubFor({ state, intervalMs: 40, log });
    await waitFor('three passes', () => hub.service.status().passes >= 3, 10_000);
    const last = hub.service.status().lastPass;
    if (last === null) throw new Error('no pass');
    expect(outcomes(last)).toEqual(Object.fromEntries(state.clusters.map((c) => [c.name, 'failed'])));
    expect(new Set(last.clusters.map((c) => c.error?.code))).toEqual(new Set(['sts.role-unavailable']));
    expect(simCount(h.sim, 'sts:AssumeRole', 'AccessDenied') - deniedBefore).toBeGreaterThanOrEqual(3 * 3); // 3 accounts, 3 passes

    // Failed passes are passes: counted as failures, the service is ready (it has a result to show).
    const { exposition } = await scrape(hub.url);
    expect(sampleValue(exposition, 'eks_auth_hub_passes_total', { result: 'failure' })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(exposition, 'eks_auth_hub_passes_total', { result: 'success' })).toBe(0);
    expect((await http(`${hub.url}/readyz`)).status).toBe(200);
    // /status says, per cluster, that it failed and why.
    const status = JSON.parse((await http(`${hub.url}/status`)).body) as {
      clusters: { cluster: string; outcome: string; error: string | null; reason: string | null }[];
    };
    expect(status.clusters.map((c) => c.cluster)).toEqual(state.clusters.map((c) => c.name));
    for (const c of status.clusters) {
      expect(c, c.cluster).toMatchObject({ outcome: 'failed', error: 'sts.role-unavailable' });
      expect(c.reason, c.cluster).toMatch(/^sts:AssumeRole .*AccessDenied/);
    }
    expect(log.records().filter((r) => r['msg'] === 'cluster failed').length).toBeGreaterThanOrEqual(3 * 5);
    expect(log.records().filter((r) => r['msg'] === 'pass crashed')).toEqual([]);

    // And still later, another pass comes.
    const passes = hub.service.status().passes;
    await waitFor('one more pass', () => hub.service.status().passes > passes, 5_000);
  });

  it('stop() during a pass lets the started clusters finish, returns, and no pass runs after it', async () => {
    // One cluster at a time, each one slow to read: stop() arrives while exactly one is in flight.
    // A new username for the default admin mapping: every cluster has something to write.
    const state = demoState(
      { from: 'concurrency: 8', to: 'concurrency: 1' },
      { from: 'username: "admin:{{SessionName}}"', to: 'username: "administrator:{{SessionName}}"' },
    );
    h.sim.control.setFault('k8s:get', { latencyMs: 300 });
    const log = memoryLogger();
    const describesBefore = simCount(h.sim, 'eks:DescribeCluster');
    const writesBefore = writesSeen(h.sim);
    const hub = await hubFor({ state, intervalMs: 50, log });
    await waitFor('a cluster started', () => simCount(h.sim, 'eks:DescribeCluster') > describesBefore, 10_000, 5);
    expect(hub.service.status()).toMatchObject({ running: true, passes: 0 });

    await hub.stop();
    running.splice(running.indexOf(hub), 1);

    // stop() returned after the pass had finished, with the results of the started clusters recorded.
    const status = hub.service.status();
    expect(status.running).toBe(false);
    expect(status.passes).toBe(1);
    const report = status.lastPass;
    if (report === null) throw new Error('no pass');
    const started = simCount(h.sim, 'eks:DescribeCluster') - describesBefore;
    // Clusters not started are listed as skipped, not reported as failures.
    const finished = report.clusters;
    expect(finished.length, explain(report)).toBe(started);
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(report.skipped.length).toBeGreaterThanOrEqual(1);
    expect(finished.length + report.skipped.length).toBe(state.clusters.length);
    expect(report.counts.failed).toBe(0);
    // The started clusters finished their work: written, not cut off.
    for (const c of finished) expect(c.outcome, `${c.name}: ${explain(report)}`).toBe('applied');
    // Each replaced aws-auth is preceded by a history write; a created one has nothing to keep.
    expect(writesSeen(h.sim) - writesBefore).toBe(finished.length + finished.filter((c) => !c.created).length);
    expect(log.records().some((r) => r['msg'] === 'hub stopped')).toBe(true);

    // Then nothing: no pass, no request to AWS or to a cluster, and the server is closed.
    const requests = simRequests();
    await sleep(300); // six intervals
    expect(hub.service.status().passes).toBe(1);
    await expect(hub.service.runPass()).rejects.toMatchObject({ code: 'hub.stopping' });
    expect(simRequests()).toBe(requests);
    await expect(http(`${hub.url}/healthz`)).rejects.toThrow();
  });

  it('stop() between passes returns promptly and no pass runs after it', async () => {
    const hub = await hubFor({ intervalMs: 150 });
    await waitFor('the first pass', () => hub.service.ready, 10_000);
    await waitFor('idle between passes', () => !hub.service.status().running, 5_000, 5);
    const t0 = Date.now();
    await hub.stop();
    running.splice(running.indexOf(hub), 1);
    expect(Date.now() - t0).toBeLessThan(1_000);
    const passes = hub.service.status().passes;
    const requests = simRequests();
    await sleep(400); // more than two intervals
    expect(hub.service.status().passes).toBe(passes);
    expect(simRequests()).toBe(requests);
  });

  it('stop(graceMs) is bounded: a cluster that never gets an answer does not hold it past the grace period', async () => {
    h.sim.control.setFault('k8s:get', { hangRate: 1 });
    const describesBefore = simCount(h.sim, 'eks:DescribeCluster');
    const hub = await hubFor({ intervalMs: 50 });
    await waitFor('a cluster started', () => simCount(h.sim, 'eks:DescribeCluster') > describesBefore, 10_000, 5);
    await sleep(100);
    const t0 = Date.now();
    await hub.stop(300);
    running.splice(running.indexOf(hub), 1);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2_000);
    await expect(http(`${hub.url}/healthz`)).rejects.toThrow();
  });
});
