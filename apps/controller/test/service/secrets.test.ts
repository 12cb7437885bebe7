/**
 * No secret reaches what the hub shows: log lines (pino at debug), `/metrics`, `/status`, the status
 * page, the Lambda summary, its EMF lines and its error messages. The hub goes through passes that
 * succeed and through every kind of failure first (throttling, 5xx, expired credentials, a refused
 * AssumeRole, a 401 from an API server that no longer maps the hub), then everything it produced is
 * searched for the hub's secret key, every session's secret key and token, and cluster tokens.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../src/lambda.js';
import { type RunningHub, startHub } from '../../src/run.js';
import type { PassSummary } from '../../src/status.js';
import {
  demoHubFile,
  demoState,
  editMapRoles,
  explain,
  http,
  memoryLogger,
  outcomes,
  refOf,
  SPOKE_ROLE,
  startHubWithoutRetries,
  useSimulator,
  waitFor,
} from './helpers.js';

const h = useSimulator();
const state = demoState();
const names = state.clusters.map((c) => c.name);
const log = memoryLogger('debug');
const collected: { what: string; text: string }[] = [];
let hub: RunningHub;

function collect(what: string, value: unknown): void {
  collected.push({ what, text: typeof value === 'string' ? value : JSON.stringify(value) });
}

async function collectHttp(from: RunningHub, when: string): Promise<void> {
  for (const path of ['/metrics', '/status', '/']) {
    const answer = await http(`${from.url}${path}`);
    expect(answer.status, path).toBe(200);
    collect(`${path} ${when}`, answer.body);
  }
}

async function pass(when: string): Promise<PassSummary> {
  while (hub.service.status().running) await hub.service.runPass();
  const report = await hub.service.runPass();
  await collectHttp(hub, when);
  return report;
}

const lambdaLines: string[] = [];
const lambda = createHandler({ configFile: () => demoHubFile, emit: (l) => lambdaLines.push(l), logger: log.logger });

beforeAll(async () => {
  // Without retries, so the failing passes fail at once.
  hub = await startHubWithoutRetries(state, log.logger);
});

afterAll(async () => {
  await hub?.stop();
});

describe('no secrets in logs, metrics, status or Lambda output', () => {
  it('passes that apply, find nothing to do and set back a hand edit', async () => {
    await waitFor('the first pass', () => hub.service.ready);
    await collectHttp(hub, 'after the first pass');
    expect(outcomes(await pass('second pass'))).toEqual(Object.fromEntries(names.map((n) => [n, 'unchanged'])));
    editMapRoles(h.sim, refOf(state, 'ml-training'), (roles) => [
      ...roles,
      { rolearn: 'arn:aws:iam::444455556666:role/ci-deployer', username: 'hand', groups: ['system:masters'] },
    ]);
    const drift = await pass('drift');
    expect(drift.clusters.find((c) => c.name === 'ml-training')?.drift).toBe(true);
  });

  it('a Lambda invocation: its summary and EMF line', async () => {
    const summary = await lambda({});
    collect('Lambda summary', summary);
    expect(summary.counts.unchanged).toBe(5);
  });

  it('a pass with every role listing throttled (blocked)', async () => {
    h.sim.control.setFault('iam:ListRoles', { throttleRate: 1 });
    let report: PassSummary;
    try {
      report = await pass('throttled');
    } finally {
      h.sim.control.clearFaults();
    }
    expect(new Set(report.clusters.map((c) => c.outcome))).toEqual(new Set(['blocked']));
  });

  it('a pass with EKS answering 5xx (the clusters are known from earlier passes; their node listings fail: blocked)', async () => {
    h.sim.control.setFault('eks:*', { errorRate: 1 });
    let report: PassSummary;
    try {
      report = await pass('eks 5xx');
    } finally {
      h.sim.control.clearFaults();
    }
    expect(new Set(report.clusters.map((c) => c.outcome)), explain(report)).toEqual(new Set(['blocked']));
    for (const cluster of report.clusters) {
      expect(cluster.refusals.map((r) => r.rule)).toEqual(['incomplete-listing']);
      expect(cluster.refusals[0]?.message).toContain('aws.unavailable');
    }
  });

  it('a pass with the sessions expired under the hub (the world two hours ahead)', async () => {
    h.sim.control.advanceClock(2 * 3600);
    let report: PassSummary;
    try {
      report = await pass('expired sessions');
    } finally {
      h.sim.control.advanceClock(-2 * 3600);
    }
    expect(
      report.clusters.every((c) => c.outcome === 'failed' || c.outcome === 'blocked'),
      explain(report),
    ).toBe(true);
  });

  it('a hub whose AssumeRole is refused (wrong ExternalId)', async () => {
    const wrong = await startHub({
      state: demoState({ from: 'externalId: example-external-id', to: 'externalId: not-the-external-id' }),
      listen: { host: '127.0.0.1', port: 0 },
      logger: log.logger,
      intervalMs: 3_600_000,
    });
    try {
      await waitFor('its first pass', () => wrong.service.ready);
      const report = wrong.service.status().lastPass;
      expect(new Set(report?.clusters.map((c) => c.error?.code))).toEqual(new Set(['sts.role-unavailable']));
      await collectHttp(wrong, 'wrong ExternalId');
    } finally {
      await wrong.stop();
    }
  });

  it('a pass locked out of payments-prod: the spoke mapping dropped by hand, the API server answers 401', async () => {
    editMapRoles(h.sim, refOf(state, 'payments-prod'), (roles) => roles.filter((r) => !r.rolearn.endsWith(`:role/${SPOKE_ROLE}`)));
    const report = await pass('401');
    const prod = report.clusters.find((c) => c.name === 'payments-prod');
    expect(prod?.error?.code, explain(report)).toBe('kube.unauthorized');
    expect(prod?.error?.message).toMatch(/401/);
  });

  it('a Lambda invocation that fails (payments-prod locked out): its error message and EMF line', async () => {
    const error = await lambda({}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('payments-prod (kube.unauthorized)');
    collect('Lambda error', (error as Error).message);
    collect('Lambda error stack', (error as Error).stack ?? '');
  });

  it('none of it holds the hub secret key, a session secret key or token, or a cluster token', () => {
    for (const line of lambdaLines) collect('EMF line', line);
    for (const line of log.lines()) collect('log line', line);
    collect('status()', hub.service.status());

    // What was searched really covers the failures.
    const all = collected.map((c) => c.text).join('\n');
    for (const code of ['aws.throttled', 'aws.unavailable', 'sts.role-unavailable', 'kube.unauthorized']) expect(all, code).toContain(code);
    expect(log.records().filter((r) => r['level'] === 'debug').length).toBeGreaterThan(0);
    expect(log.lines().length).toBeGreaterThan(50);

    const sessions = [...h.sim.world.credentials.values()].filter((c) => c.sessionToken !== undefined);
    expect(sessions.length).toBeGreaterThanOrEqual(6); // three accounts, the service and the Lambda
    const secrets: { name: string; value: string }[] = [{ name: 'the hub secret access key', value: h.sim.world.hub.secretAccessKey }];
    for (const s of sessions) {
      secrets.push({ name: `the secret access key of session ${s.accessKeyId}`, value: s.secretAccessKey });
      secrets.push({ name: `the session token of ${s.accessKeyId}`, value: s.sessionToken ?? '' });
      secrets.push({ name: `the session token of ${s.accessKeyId}, URL-encoded`, value: encodeURIComponent(s.sessionToken ?? '') });
    }
    const markers = ['k8s-aws-v1.', 'X-Amz-Security-Token', 'X-Amz-Signature', 'AWS4-HMAC-SHA256', 'Bearer '];

    const leaks: string[] = [];
    for (const { what, text } of collected) {
      for (const secret of secrets)
        if (secret.value.length >= 16 && text.includes(secret.value)) leaks.push(`${what} holds ${secret.name}`);
      for (const marker of markers) if (text.includes(marker)) leaks.push(`${what} holds "${marker}"`);
    }
    expect(leaks).toEqual([]);
  });
});
