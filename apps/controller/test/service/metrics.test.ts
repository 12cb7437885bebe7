/**
 * `/metrics` as Prometheus scrapes it, after passes that change the world in known ways: names, types
 * and values, checked against what the simulator saw on its side of the wire where it can be. The
 * tests of this file are one story on one world and run in order; passes are started explicitly
 * (the interval is long), so every count is exact.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../../src/run.js';
import type { PassSummary } from '../../src/status.js';
import {
  ANALYTICS,
  demoState,
  type Exposition,
  editMapRoles,
  explain,
  familyOf,
  http,
  maybeValueOf,
  memoryLogger,
  outcomes,
  PAYMENTS,
  refOf,
  repo,
  SPOKE_ROLE,
  samplesOf,
  sampleValue,
  scrape,
  simCount,
  ssoRoleName,
  startHubWithoutRetries,
  useSimulator,
  waitFor,
} from './helpers.js';

const h = useSimulator();
const state = demoState();
const names = state.clusters.map((c) => c.name);
const log = memoryLogger('info');
let hub: RunningHub;

const P = 'eks_auth_hub_';
const PASS_RESULTS = ['success', 'partial', 'failure'];
const OUTCOMES = ['unchanged', 'applied', 'planned', 'blocked', 'failed'];
// The guard's rules as the design names them (shared/design.md, "Safety").
const GUARD_RULES = [
  'invalid-desired-state',
  'incomplete-listing',
  'live-unparseable',
  'node-mapping-removed',
  'hub-mapping-removed',
  'mass-removal',
  'render-invalid',
];
const VERSION = (JSON.parse(readFileSync(join(repo, 'apps', 'controller', 'package.json'), 'utf8')) as { version: string }).version;

const labelsOf = (name: string) => {
  const spec = state.clusters.find((c) => c.name === name);
  if (spec === undefined) throw new Error(name);
  return { cluster: spec.name, account: spec.account, region: spec.region };
};

async function metrics(): Promise<Exposition> {
  return (await scrape(hub.url)).exposition;
}

/** A pass started now (after any running one), as the loop would run it. */
async function pass(): Promise<PassSummary> {
  while (hub.service.status().running) await hub.service.runPass();
  return hub.service.runPass();
}

const counter = (m: Exposition, name: string, labels: Record<string, string> = {}): number => sampleValue(m, `${P}${name}`, labels);

/** Total of a counter over all its series matching `labels`. */
const sum = (m: Exposition, name: string, labels: Record<string, string> = {}): number =>
  samplesOf(m, `${P}${name}`, labels).reduce((n, s) => n + s.value, 0);

/** The hub's counts of AWS calls, checked against the simulator's answers (no retries: one request per call). */
function expectAwsRequestsMatchSimulator(m: Exposition): void {
  const hubSide = samplesOf(m, `${P}aws_requests_total`).filter((s) => s.value > 0);
  expect(hubSide.length).toBeGreaterThan(0);
  for (const s of hubSide) {
    const operation = `${s.labels['service']}:${s.labels['operation']}`;
    if (s.labels['outcome'] === 'ok') expect(s.value, `${operation} ok`).toBe(simCount(h.sim, operation, 'ok'));
  }
  // And nothing the simulator answered ok is missing on the hub's side.
  for (const [operation, count] of Object.entries(h.sim.control.counters())) {
    if (operation.startsWith('k8s:') || (count.outcomes['ok'] ?? 0) === 0) continue;
    const [service = '', op = ''] = operation.split(':');
    expect(maybeValueOf(m, `${P}aws_requests_total`, { service, operation: op, outcome: 'ok' }), operation).toBe(count.outcomes['ok']);
  }
}

/** The hub's Kubernetes request counts by verb and code, checked against the simulator's answers. */
function expectKubeRequestsMatchSimulator(m: Exposition): void {
  const fromSim: Record<string, number> = {};
  for (const [operation, count] of Object.entries(h.sim.control.counters())) {
    if (!operation.startsWith('k8s:')) continue;
    for (const [code, n] of Object.entries(count.outcomes)) fromSim[`${operation.slice(4)} ${code}`] = n;
  }
  const fromHub: Record<string, number> = {};
  for (const s of samplesOf(m, `${P}kubernetes_requests_total`))
    if (s.value > 0) fromHub[`${s.labels['verb']} ${s.labels['code']}`] = s.value;
  expect(fromHub).toEqual(fromSim);
}

beforeAll(async () => {
  // The first pass waits 500 ms for its sessions: long enough to scrape before it finishes.
  h.sim.control.setFault('sts:AssumeRole', { latencyMs: 500 });
  // The adapters as startHub builds them, without retries: one AWS call is one request on the wire,
  // and a throttled listing fails at once.
  hub = await startHubWithoutRetries(state, log.logger);
});

afterAll(async () => {
  await hub?.stop();
});

describe('/metrics', () => {
  it('exports the known series at 0 before the first pass has finished', async () => {
    const m = await metrics();
    expect(hub.service.ready, 'the first pass finished before the scrape').toBe(false);
    h.sim.control.clearFaults();
    for (const result of PASS_RESULTS) expect(counter(m, 'passes_total', { result }), result).toBe(0);
    for (const rule of GUARD_RULES) expect(counter(m, 'guard_refusals_total', { rule }), rule).toBe(0);
    for (const outcome of OUTCOMES) expect(counter(m, 'cluster_results_total', { outcome }), outcome).toBe(0);
    expect(counter(m, 'writes_total', { kind: 'create' })).toBe(0);
    expect(counter(m, 'writes_total', { kind: 'replace' })).toBe(0);
    expect(counter(m, 'drift_corrections_total')).toBe(0);
    expect(counter(m, 'pass_duration_seconds_count')).toBe(0);
    for (const name of names) {
      expect(counter(m, 'unresolved_permission_sets', labelsOf(name)), name).toBe(0);
      expect(counter(m, 'ambiguous_permission_sets', labelsOf(name)), name).toBe(0);
    }
    // No success yet: no made-up timestamp either.
    expect(samplesOf(m, `${P}cluster_last_success_timestamp_seconds`)).toEqual([]);
    expect(counter(m, 'build_info', { version: VERSION, node: process.version })).toBe(1);
  });

  it('declares the hub metrics with their types', async () => {
    const m = await metrics();
    // The families the design asks for, each with its type (others may be added).
    const declared = Object.fromEntries(m.types);
    expect(declared).toMatchObject({
      [`${P}passes_total`]: 'counter',
      [`${P}pass_duration_seconds`]: 'histogram',
      [`${P}last_pass_timestamp_seconds`]: 'gauge',
      [`${P}cluster_results_total`]: 'counter',
      [`${P}cluster_last_success_timestamp_seconds`]: 'gauge',
      [`${P}cluster_last_outcome`]: 'gauge',
      [`${P}unresolved_permission_sets`]: 'gauge',
      [`${P}ambiguous_permission_sets`]: 'gauge',
      [`${P}guard_refusals_total`]: 'counter',
      [`${P}writes_total`]: 'counter',
      [`${P}entry_changes_total`]: 'counter',
      [`${P}drift_corrections_total`]: 'counter',
      [`${P}aws_requests_total`]: 'counter',
      [`${P}aws_request_duration_seconds`]: 'histogram',
      [`${P}kubernetes_requests_total`]: 'counter',
      [`${P}session_refreshes_total`]: 'counter',
      [`${P}build_info`]: 'gauge',
    });
  });

  it('exports the default process and Node.js metrics under their standard names (no hub prefix)', async () => {
    const m = await metrics();
    expect(m.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(m.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(m.types.get('process_start_time_seconds')).toBe('gauge');
    expect(m.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(sampleValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    const started = sampleValue(m, 'process_start_time_seconds');
    expect(Math.abs(started - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
    expect(
      [...m.types.keys()].filter((name) => /^eks_auth_hub_(process|nodejs)_/.test(name)),
      'default metrics under the hub prefix',
    ).toEqual([]);
  });

  it('follows the Prometheus naming rules: the hub prefix (process_/nodejs_ for the defaults), counters end in _total, no gauge ends in _total', async () => {
    const m = await metrics();
    const problems: string[] = [];
    for (const [name, type] of m.types) {
      if (!name.startsWith(P) && !/^(process|nodejs)_/.test(name)) problems.push(`${name}: no ${P} prefix`);
      if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: a counter not ending in _total`);
      if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: a ${type} ending in _total`);
      if (!m.help.has(name)) problems.push(`${name}: no HELP`);
    }
    for (const s of m.samples) if (familyOf(m, s.name) === undefined) problems.push(`${s.name}: a sample without a TYPE`);
    expect(problems).toEqual([]);
  });

  it('after the first pass: one successful pass, its duration, every cluster applied, one create and four replaces', async () => {
    await waitFor('the first pass', () => hub.service.ready);
    const report = hub.service.status().lastPass;
    if (report === null) throw new Error('no pass');
    expect(outcomes(report), explain(report)).toEqual(Object.fromEntries(names.map((n) => [n, 'applied'])));
    const m = await metrics();

    expect(counter(m, 'passes_total', { result: 'success' })).toBe(1);
    expect(counter(m, 'passes_total', { result: 'partial' })).toBe(0);
    expect(counter(m, 'passes_total', { result: 'failure' })).toBe(0);

    // The duration histogram: one observation of the pass's duration, cumulative buckets.
    const seconds = report.durationMs / 1000;
    expect(seconds).toBeGreaterThanOrEqual(0.5); // the AssumeRole latency
    expect(counter(m, 'pass_duration_seconds_count')).toBe(1);
    expect(counter(m, 'pass_duration_seconds_sum')).toBeCloseTo(seconds, 6);
    const buckets = samplesOf(m, `${P}pass_duration_seconds_bucket`).map((s) => ({
      le: Number(s.labels['le'] === '+Inf' ? Infinity : s.labels['le']),
      value: s.value,
    }));
    expect(buckets.length).toBeGreaterThan(3);
    expect(buckets.at(-1)).toEqual({ le: Infinity, value: 1 });
    for (const b of buckets) expect(b.value, `le=${b.le}`).toBe(seconds <= b.le ? 1 : 0);

    const finished = Date.parse(report.finishedAt) / 1000;
    expect(counter(m, 'last_pass_timestamp_seconds')).toBeCloseTo(finished, 3);
    expect(counter(m, 'cluster_results_total', { outcome: 'applied' })).toBe(5);
    expect(sum(m, 'cluster_results_total')).toBe(5);

    // Writes as the simulator saw them: analytics had no aws-auth (created), the others were replaced.
    // The simulator also saw the history writes: each replaced cluster first created its
    // kube-system/eks-auth-hub-history (one kept version); writes_total counts aws-auth only.
    expect([counter(m, 'writes_total', { kind: 'create' }), counter(m, 'writes_total', { kind: 'replace' })]).toEqual([1, 4]);
    expect(simCount(h.sim, 'k8s:create', '201')).toBe(
      counter(m, 'writes_total', { kind: 'create' }) + counter(m, 'writes_total', { kind: 'replace' }),
    );
    expect(simCount(h.sim, 'k8s:update', '200')).toBe(counter(m, 'writes_total', { kind: 'replace' }));
    expect(counter(m, 'drift_corrections_total')).toBe(0);

    // Last success per cluster, labelled with the cluster, its account and region.
    for (const name of names) {
      expect(counter(m, 'cluster_last_success_timestamp_seconds', labelsOf(name)), name).toBeCloseTo(finished, 3);
      expect(counter(m, 'cluster_last_outcome', { ...labelsOf(name), outcome: 'applied' }), name).toBe(1);
      expect(counter(m, 'cluster_last_outcome', { ...labelsOf(name), outcome: 'failed' }), name).toBe(0);
    }
    expect(Math.abs(finished - Date.now() / 1000)).toBeLessThan(30);
  });

  it('/status after the first pass: each cluster with its count of changes, without the entries themselves', async () => {
    const kept = hub.service.status().lastPass;
    if (kept === null) throw new Error('no pass');
    // What the service keeps per cluster: counts, not entries or resolutions (those went to the log).
    for (const c of kept.clusters) {
      expect(c.added, c.name).toBeGreaterThan(0);
      expect(Object.keys(c)).not.toContain('changes');
      expect(Object.keys(c)).not.toContain('resolutions');
    }
    const answer = await http(`${hub.url}/status`);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { clusters: { cluster: string; outcome: string; changes: number }[] };
    expect(body.clusters.map((c) => [c.cluster, c.outcome])).toEqual(names.map((n) => [n, 'applied']));
    for (const c of body.clusters) {
      const k = kept.clusters.find((x) => x.name === c.cluster);
      expect(c.changes, c.cluster).toBe((k?.added ?? 0) + (k?.removed ?? 0) + (k?.changed ?? 0));
    }
    expect(answer.body).not.toContain('rolearn');
    expect(answer.body).not.toContain('AWSReservedSSO_');
    // Each cluster's line went to the log as it finished.
    expect(log.records().filter((r) => r['msg'] === 'cluster reconciled').length).toBeGreaterThanOrEqual(5);
  });

  it('counts AWS requests by service, operation and outcome, and Kubernetes requests by verb and code, as the simulator answered them', async () => {
    const m = await metrics();
    expect(counter(m, 'aws_requests_total', { service: 'sts', operation: 'AssumeRole', outcome: 'ok' })).toBe(3); // once per account
    expect(counter(m, 'aws_requests_total', { service: 'iam', operation: 'ListRoles', outcome: 'ok' })).toBeGreaterThanOrEqual(3);
    expect(counter(m, 'aws_requests_total', { service: 'eks', operation: 'DescribeCluster', outcome: 'ok' })).toBe(5);
    expectAwsRequestsMatchSimulator(m);
    // Every call observed is also timed.
    for (const s of samplesOf(m, `${P}aws_requests_total`)) {
      const labels = { service: s.labels['service'] ?? '', operation: s.labels['operation'] ?? '' };
      expect(counter(m, 'aws_request_duration_seconds_count', labels), JSON.stringify(labels)).toBe(sum(m, 'aws_requests_total', labels));
    }
    // analytics had no aws-auth; the four replaced clusters had no history yet (read, then created).
    expect(counter(m, 'kubernetes_requests_total', { verb: 'get', code: '404' })).toBe(5);
    expect(counter(m, 'kubernetes_requests_total', { verb: 'create', code: '201' })).toBe(5);
    expectKubeRequestsMatchSimulator(m);
  });

  it('a second pass with nothing to do: success, every cluster unchanged, no write, newer last-success timestamps', async () => {
    const report = await pass();
    expect(outcomes(report), explain(report)).toEqual(Object.fromEntries(names.map((n) => [n, 'unchanged'])));
    const m = await metrics();
    expect(counter(m, 'passes_total', { result: 'success' })).toBe(2);
    expect(counter(m, 'pass_duration_seconds_count')).toBe(2);
    expect(counter(m, 'cluster_results_total', { outcome: 'unchanged' })).toBe(5);
    expect(counter(m, 'cluster_results_total', { outcome: 'applied' })).toBe(5);
    expect(sum(m, 'writes_total')).toBe(5);
    const finished = Date.parse(report.finishedAt) / 1000;
    for (const name of names) expect(counter(m, 'cluster_last_success_timestamp_seconds', labelsOf(name)), name).toBeCloseTo(finished, 3);
    expectKubeRequestsMatchSimulator(m);
  });

  it('a hand edit of payments-prod is set back on the next pass and counted as a drift correction', async () => {
    const prod = refOf(state, 'payments-prod');
    editMapRoles(h.sim, prod, (roles) =>
      roles.map((r) => (r.rolearn.endsWith(':role/ci-deployer') ? { ...r, username: 'hand-edited', groups: ['system:masters'] } : r)),
    );
    const before = await metrics();
    const report = await pass();
    expect(outcomes(report), explain(report)).toEqual({
      ...Object.fromEntries(names.map((n) => [n, 'unchanged'])),
      'payments-prod': 'applied',
    });
    const m = await metrics();
    expect(counter(m, 'drift_corrections_total')).toBe(1);
    expect(counter(m, 'writes_total', { kind: 'replace' })).toBe(5);
    expect(counter(m, 'entry_changes_total', { change: 'changed' })).toBe(
      counter(before, 'entry_changes_total', { change: 'changed' }) + 1,
    );
    const live = h.sim.control.readAwsAuth(prod)?.data['mapRoles'] ?? '';
    expect(live).not.toContain('hand-edited');
  });

  it('unresolved and ambiguous permission sets per cluster follow the world, up and back down', async () => {
    // PowerUserAccess (payments-staging) loses its role; DataScientist (analytics) gets a second one.
    const powerUser = ssoRoleName(h.sim, PAYMENTS, 'PowerUserAccess');
    h.sim.control.deleteRole(PAYMENTS, powerUser);
    const { roleArn: extraScientist } = h.sim.control.assignPermissionSet(ANALYTICS, 'DataScientist');
    const report = await pass();
    expect(report.clusters.find((c) => c.name === 'payments-staging')?.unresolved).toEqual(['PowerUserAccess']);
    expect(report.clusters.find((c) => c.name === 'analytics')?.ambiguous.map((a) => a.permissionSet)).toEqual(['DataScientist']);
    let m = await metrics();
    for (const name of names) {
      expect(counter(m, 'unresolved_permission_sets', labelsOf(name)), name).toBe(name === 'payments-staging' ? 1 : 0);
      expect(counter(m, 'ambiguous_permission_sets', labelsOf(name)), name).toBe(name === 'analytics' ? 1 : 0);
    }

    // PowerUserAccess is assigned again (a new role); the extra DataScientist role goes away.
    h.sim.control.assignPermissionSet(PAYMENTS, 'PowerUserAccess');
    h.sim.control.deleteRole(ANALYTICS, extraScientist.split('/').at(-1) ?? '');
    await pass();
    m = await metrics();
    for (const name of names) {
      expect(counter(m, 'unresolved_permission_sets', labelsOf(name)), name).toBe(0);
      expect(counter(m, 'ambiguous_permission_sets', labelsOf(name)), name).toBe(0);
    }
  });

  it('a throttled role listing blocks every write and counts guard refusals by rule (incomplete-listing), a failed pass and throttled requests', async () => {
    const before = await metrics();
    const lastSuccess = Object.fromEntries(names.map((n) => [n, counter(before, 'cluster_last_success_timestamp_seconds', labelsOf(n))]));
    const failuresBefore = counter(before, 'passes_total', { result: 'failure' });
    h.sim.control.setFault('iam:ListRoles', { throttleRate: 1 });
    let report: PassSummary;
    try {
      report = await pass();
    } finally {
      h.sim.control.clearFaults();
    }
    expect(outcomes(report), explain(report)).toEqual(Object.fromEntries(names.map((n) => [n, 'blocked'])));
    // /status names the refusal and gives its message as the reason.
    const status = JSON.parse((await http(`${hub.url}/status`)).body) as {
      clusters: { cluster: string; outcome: string; refusals: string[]; error: string | null; reason: string | null }[];
    };
    for (const c of status.clusters) {
      expect(c, c.cluster).toMatchObject({ outcome: 'blocked', refusals: ['incomplete-listing'], error: null });
      expect(c.reason, c.cluster).toMatch(/listing the SSO roles of account \d{12} failed/);
    }
    const m = await metrics();
    expect(counter(m, 'guard_refusals_total', { rule: 'incomplete-listing' })).toBe(5);
    for (const rule of GUARD_RULES.filter((r) => r !== 'incomplete-listing'))
      expect(counter(m, 'guard_refusals_total', { rule }), rule).toBe(0);
    expect(counter(m, 'passes_total', { result: 'failure' })).toBe(failuresBefore + 1);
    expect(counter(m, 'cluster_results_total', { outcome: 'blocked' })).toBe(5);
    expect(counter(m, 'aws_requests_total', { service: 'iam', operation: 'ListRoles', outcome: 'throttled' })).toBe(3); // one failed listing per account
    expect(simCount(h.sim, 'iam:ListRoles', 'Throttling')).toBe(3);
    for (const name of names) {
      // Blocked is not a success, and a failed listing is not a missing role.
      expect(counter(m, 'cluster_last_success_timestamp_seconds', labelsOf(name)), name).toBe(lastSuccess[name]);
      expect(counter(m, 'cluster_last_outcome', { ...labelsOf(name), outcome: 'blocked' }), name).toBe(1);
      expect(counter(m, 'unresolved_permission_sets', labelsOf(name)), name).toBe(0);
    }
  });

  it('a 401 from an API server (the spoke mapping dropped by hand) is counted by verb and code, in a partial pass', async () => {
    const prod = refOf(state, 'payments-prod');
    editMapRoles(h.sim, prod, (roles) => roles.filter((r) => !r.rolearn.endsWith(`:role/${SPOKE_ROLE}`)));
    const before = await metrics();
    const report = await pass();
    expect(outcomes(report), explain(report)).toEqual({
      ...Object.fromEntries(names.map((n) => [n, 'unchanged'])),
      'payments-prod': 'failed',
    });
    expect(report.clusters.find((c) => c.name === 'payments-prod')?.error?.code).toBe('kube.unauthorized');
    const m = await metrics();
    expect(counter(m, 'kubernetes_requests_total', { verb: 'get', code: '401' })).toBeGreaterThanOrEqual(1);
    expectKubeRequestsMatchSimulator(m);
    expect(counter(m, 'passes_total', { result: 'partial' })).toBe(1);
    expect(counter(m, 'cluster_results_total', { outcome: 'failed' })).toBe(1);
    expect(counter(m, 'cluster_last_outcome', { ...labelsOf('payments-prod'), outcome: 'failed' })).toBe(1);
    expect(counter(m, 'cluster_last_success_timestamp_seconds', labelsOf('payments-prod'))).toBe(
      counter(before, 'cluster_last_success_timestamp_seconds', labelsOf('payments-prod')),
    );
    expect(counter(m, 'cluster_last_success_timestamp_seconds', labelsOf('analytics'))).toBeCloseTo(
      Date.parse(report.finishedAt) / 1000,
      3,
    );
    // Every pass so far is counted once, by result.
    expect(sum(m, 'passes_total')).toBe(hub.service.status().passes);
    expect(sum(m, 'passes_total')).toBe(counter(m, 'pass_duration_seconds_count'));
  });
});
