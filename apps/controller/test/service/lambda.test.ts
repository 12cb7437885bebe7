/**
 * The Lambda mode in-process against the simulator: the handler as EventBridge invokes it, its
 * summary, its CloudWatch Embedded Metric Format line, a failed invocation when a cluster fails, and
 * a dry run that writes nothing. The tests run in order on one world.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHandler, type LambdaPassResult } from '../../src/lambda.js';
import { demoHubFile, demoState, memoryLogger, PAYMENTS, PLATFORM, refOf, repo, SPOKE_ROLE, useSimulator, writesSeen } from './helpers.js';

const h = useSimulator();
const state = demoState();
const names = state.clusters.map((c) => c.name);

interface Invoker {
  readonly handler: (event: unknown) => Promise<LambdaPassResult>;
  readonly lines: string[];
  readonly log: ReturnType<typeof memoryLogger>;
}

/** A fresh Lambda container: its own handler, EMF lines and log. */
function container(configFile: () => string = () => demoHubFile): Invoker {
  const lines: string[] = [];
  const log = memoryLogger('debug');
  return { handler: createHandler({ configFile, emit: (l) => lines.push(l), logger: log.logger }), lines, log };
}

interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  passId: string;
  [metric: string]: unknown;
}

function parseEmf(line: string | undefined): Emf {
  if (line === undefined) throw new Error('no EMF line');
  expect(line).not.toContain('\n');
  return JSON.parse(line) as Emf;
}

/** Metric name → value, for every metric the EMF directive declares (each must have a number). */
function emfValues(emf: Emf): Record<string, number> {
  const directive = emf._aws.CloudWatchMetrics[0];
  if (directive === undefined) throw new Error('no CloudWatchMetrics directive');
  const out: Record<string, number> = {};
  for (const m of directive.Metrics) {
    const value = emf[m.Name];
    expect(typeof value, `${m.Name} has no numeric value`).toBe('number');
    out[m.Name] = value as number;
  }
  return out;
}

function snapshot(): Record<string, unknown> {
  return Object.fromEntries(h.sim.control.clusters().map((ref) => [ref.cluster, h.sim.control.readAwsAuth(ref)]));
}

const lambda = container();

describe('Lambda handler', () => {
  it('one invocation: one pass, the summary with counts', async () => {
    const t0 = Date.now();
    const summary = await lambda.handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    expect(summary).toEqual({
      passId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      dryRun: false,
      durationMs: expect.any(Number) as unknown,
      counts: { unchanged: 0, applied: 5, planned: 0, blocked: 0, failed: 0 },
      failed: [],
      blocked: [],
    });
    expect(summary.durationMs).toBeLessThanOrEqual(Date.now() - t0);
    // The pass really wrote: analytics' aws-auth was created.
    expect(h.sim.control.readAwsAuth(refOf(state, 'analytics'))).not.toBeNull();
    // One log line per cluster, then one for the pass, all with the pass id.
    const records = lambda.log.records().filter((r) => r['passId'] === summary.passId);
    expect(records.filter((r) => r['msg'] === 'cluster reconciled').map((r) => r['cluster'])).toEqual(names);
    expect(records.filter((r) => r['msg'] === 'pass finished')).toHaveLength(1);
  });

  it('emits one EMF line per invocation: namespace EksAuthHub and the pass metrics', () => {
    expect(lambda.lines).toHaveLength(1);
    const emf = parseEmf(lambda.lines[0]);
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(emf._aws.CloudWatchMetrics).toHaveLength(1);
    expect(directive?.Namespace).toBe('EksAuthHub');
    expect(directive?.Dimensions).toEqual([[]]);
    expect(Number.isInteger(emf._aws.Timestamp)).toBe(true);
    expect(Math.abs(emf._aws.Timestamp - Date.now())).toBeLessThan(60_000);
    const values = emfValues(emf);
    expect(values).toMatchObject({
      ClustersApplied: 5,
      ClustersUnchanged: 0,
      ClustersPlanned: 0,
      ClustersBlocked: 0,
      ClustersFailed: 0,
      GuardRefusals: 0,
      DriftCorrections: 0,
      UnresolvedPermissionSets: 0,
      AmbiguousPermissionSets: 0,
    });
    expect(values['PassDuration']).toBeGreaterThan(0);
    for (const m of directive?.Metrics ?? []) expect(m.Unit, m.Name).toBe(m.Name === 'PassDuration' ? 'Seconds' : 'Count');
  });

  it('the next invocation finds nothing to do, and emits a second EMF line', async () => {
    const writes = writesSeen(h.sim);
    const summary = await lambda.handler({});
    expect(summary.counts).toEqual({ unchanged: 5, applied: 0, planned: 0, blocked: 0, failed: 0 });
    expect(writesSeen(h.sim)).toBe(writes);
    expect(lambda.lines).toHaveLength(2);
    const emf = parseEmf(lambda.lines[1]);
    expect(emf.passId).toBe(summary.passId);
    expect(emfValues(emf)).toMatchObject({ ClustersUnchanged: 5, ClustersApplied: 0 });
    expect(emfValues(emf)['PassDuration']).toBeCloseTo(summary.durationMs / 1000, 6);
  });

  it('{ dryRun: true } plans and writes nothing; the next invocation applies', async () => {
    // ReadOnly is reassigned in payments (a new role suffix): payments-prod has a change pending.
    h.sim.control.reassignPermissionSet(PAYMENTS, 'ReadOnly');
    const before = snapshot();
    const writes = writesSeen(h.sim);
    const summary = await lambda.handler({ dryRun: true });
    expect(summary.dryRun).toBe(true);
    expect(summary.counts).toEqual({ unchanged: 4, applied: 0, planned: 1, blocked: 0, failed: 0 });
    expect(writesSeen(h.sim)).toBe(writes);
    expect(snapshot()).toEqual(before);
    expect(emfValues(parseEmf(lambda.lines.at(-1)))).toMatchObject({ ClustersPlanned: 1, ClustersApplied: 0 });

    const applied = await lambda.handler({});
    expect(applied.dryRun).toBe(false);
    expect(applied.counts).toEqual({ unchanged: 4, applied: 1, planned: 0, blocked: 0, failed: 0 });
    expect(writesSeen(h.sim)).toBe(writes + 2); // aws-auth, and the history version kept before it
  });

  it('a desired-state file that cannot be used fails the invocation with its located problems; the next one reads it again', async () => {
    let file = join(repo, 'apps', 'controller', 'test', 'service', 'fixtures', 'invalid-hub.yaml');
    const c = container(() => file);
    await expect(c.handler({})).rejects.toThrow(/desired-state file cannot be used: .*invalid-hub\.yaml:5:13: hub\.interval/s);
    expect(c.lines).toEqual([]);
    file = demoHubFile;
    const summary = await c.handler({});
    expect(summary.counts.unchanged).toBe(5);
  });

  it('a failed cluster fails the invocation with a message naming it, after emitting its metrics', async () => {
    // The platform account's spoke role is deleted: the hub cannot enter it.
    h.sim.control.deleteRole(PLATFORM, SPOKE_ROLE);
    const c = container();
    const failure = await c.handler({}).then(
      () => new Error('the invocation succeeded'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/\b1 of 5 clusters failed\b/);
    expect(message).toContain('platform-tools');
    for (const name of names.filter((n) => n !== 'platform-tools')) expect(message).not.toContain(name);
    expect(c.lines).toHaveLength(1);
    expect(emfValues(parseEmf(c.lines[0]))).toMatchObject({ ClustersFailed: 1, ClustersUnchanged: 4 });
    const failed = c.log.records().filter((r) => r['msg'] === 'cluster failed');
    expect(failed.map((r) => [r['cluster'], r['level']])).toEqual([['platform-tools', 'error']]);
  });
});
