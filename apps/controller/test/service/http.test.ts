/**
 * The service's HTTP side as a scraper, a load balancer and an operator use it: `startHub` against the
 * simulator over real sockets, with a short interval so passes keep coming.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/run.js';
import { demoState, http, memoryLogger, parseExposition, sampleValue, simCount, useSimulator, waitFor, writesSeen } from './helpers.js';

const h = useSimulator();
const state = demoState();
const names = state.clusters.map((c) => c.name);
const log = memoryLogger('debug');
let hub: RunningHub;

interface StatusJson {
  ready: boolean;
  config: { file: string; clusters: number; desiredHash: string };
  passes: number;
  lastPass: {
    passId: string;
    dryRun: boolean;
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    desiredHash: string;
    counts: Record<string, number>;
    skipped: string[];
  } | null;
  nextPassAt: string | null;
  running: boolean;
  clusters: {
    cluster: string;
    account: string;
    region: string;
    outcome: string;
    changes: number;
    unresolved: string[];
    ambiguous: string[];
    refusals: string[];
    error: string | null;
    reason: string | null;
  }[];
}

async function status(): Promise<StatusJson> {
  const answer = await http(`${hub.url}/status`);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
  return JSON.parse(answer.body) as StatusJson;
}

beforeAll(async () => {
  // Every AssumeRole answers after 600 ms, so the first pass is certainly still running when the
  // first requests arrive.
  h.sim.control.setFault('sts:AssumeRole', { latencyMs: 600 });
  hub = await startHub({ state, listen: { host: '127.0.0.1', port: 0 }, logger: log.logger, intervalMs: 200 });
});

afterAll(async () => {
  await hub?.stop();
});

describe('startHub: health, readiness, status and the status page', () => {
  it('listens on the address asked for (an ephemeral port) and says so in its log', () => {
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    const started = log.records().find((r) => r['msg'] === 'hub started');
    expect(started).toMatchObject({ url: hub.url, clusters: 5, level: 'info' });
  });

  it('answers /healthz 200 at once and /readyz 503 until the first pass has finished, then 200', async () => {
    const healthz = await http(`${hub.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(healthz.body).toBe('ok\n');

    const early = await http(`${hub.url}/readyz`);
    expect(early.status).toBe(503);
    expect(hub.service.status().passes).toBe(0); // really before the first pass finished
    const earlyStatus = await status();
    expect(earlyStatus).toMatchObject({ ready: false, passes: 0, lastPass: null, running: true, clusters: [] });

    h.sim.control.clearFaults();
    const seen: number[] = [];
    await waitFor('/readyz 200', async () => {
      const answer = await http(`${hub.url}/readyz`);
      seen.push(answer.status);
      return answer.status === 200 ? answer : undefined;
    });
    expect(seen.every((s, i) => s === 503 || (s === 200 && i === seen.length - 1))).toBe(true);
    expect((await http(`${hub.url}/readyz`)).body).toBe('ready\n');
    expect(hub.service.status().lastPass).not.toBeNull();
    expect(writesSeen(h.sim)).toBeGreaterThanOrEqual(5); // the pass it waited for really wrote
    expect((await http(`${hub.url}/healthz`)).status).toBe(200);
  });

  it('/status is JSON with the last pass per cluster, in file order', async () => {
    // The first pass applied everything; from the second on, every cluster is unchanged.
    await waitFor('a second pass', () => hub.service.status().passes >= 2);
    const body = await status();
    expect(body.ready).toBe(true);
    // The file's name, not this machine's path to it.
    expect(body.config).toEqual({ file: 'demo-hub.yaml', clusters: 5, desiredHash: state.hash });
    expect(body.passes).toBeGreaterThanOrEqual(2);
    expect(body.lastPass?.passId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(body.lastPass?.finishedAt ?? ''))).toBe(false);
    // The pass itself: its times, counts and hash; its clusters are `clusters`, once.
    expect(body.lastPass).toMatchObject({
      dryRun: false,
      desiredHash: state.hash,
      counts: { unchanged: 5, applied: 0, planned: 0, blocked: 0, failed: 0 },
      skipped: [],
    });
    expect(Object.keys(body.lastPass ?? {}).sort()).toEqual([
      'counts',
      'desiredHash',
      'dryRun',
      'durationMs',
      'finishedAt',
      'passId',
      'skipped',
      'startedAt',
    ]);
    expect(body.clusters).toEqual(
      state.clusters.map((c) => ({
        cluster: c.name,
        account: c.account,
        region: c.region,
        outcome: 'unchanged',
        changes: 0,
        unresolved: [],
        ambiguous: [],
        refusals: [],
        error: null,
        reason: null,
      })),
    );
    expect(body.clusters.map((c) => [c.cluster, c.outcome])).toEqual(names.map((n) => [n, 'unchanged']));
    expect(body.nextPassAt === null || !Number.isNaN(Date.parse(body.nextPassAt))).toBe(true);
  });

  it('keeps running passes on its interval', async () => {
    const before = hub.service.status().passes;
    await waitFor('two more passes', () => hub.service.status().passes >= before + 2, 5_000);
    const body = await status();
    expect(body.passes).toBeGreaterThanOrEqual(before + 2);
  });

  it('/ is an HTML page listing every cluster with its last outcome', async () => {
    const answer = await http(`${hub.url}/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html\b/);
    expect(answer.body).toMatch(/^<!doctype html>/i);
    expect(answer.body).toContain('<title>eks-auth-hub</title>');
    for (const c of state.clusters) {
      expect(answer.body).toContain(`<tr><td>${c.name}</td><td>${c.account}</td><td>${c.region}</td><td>unchanged</td>`);
    }
    expect(answer.body).toContain('href="/metrics"');
    expect(answer.body).toContain('href="/status"');
  });

  it('/metrics is the Prometheus text format, with the requests of the adapters startHub built', async () => {
    const answer = await http(`${hub.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = parseExposition(answer.body);
    expect(exposition.types.get('eks_auth_hub_passes_total')).toBe('counter');
    // The default adapters report their requests to the metrics.
    expect(sampleValue(exposition, 'eks_auth_hub_aws_requests_total', { service: 'sts', operation: 'AssumeRole', outcome: 'ok' })).toBe(
      simCount(h.sim, 'sts:AssumeRole', 'ok'),
    );
    expect(
      sampleValue(exposition, 'eks_auth_hub_aws_requests_total', { service: 'eks', operation: 'DescribeCluster', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(5);
    expect(sampleValue(exposition, 'eks_auth_hub_kubernetes_requests_total', { verb: 'get', code: '200' })).toBeGreaterThanOrEqual(5);
  });

  it.each(['/metrics', '/healthz', '/readyz', '/status', '/'])(
    'answers 405 with an Allow header to POST, PUT and DELETE on %s',
    async (path) => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const answer = await http(`${hub.url}${path}`, {
          method,
          body: method === 'DELETE' ? null : '{}',
          headers: { 'content-type': 'application/json' },
        });
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.headers.get('allow'), `${method} ${path}`).toMatch(/\bGET\b/);
      }
      const head = await http(`${hub.url}${path}`, { method: 'HEAD' });
      expect(head.status, `HEAD ${path}`).toBe(200);
    },
  );

  it.each([
    ['GET', '/nope'],
    ['GET', '/metrics/extra'],
    ['GET', '/status.json'],
    ['POST', '/nope'],
  ])('answers 404 to %s %s', async (method, path) => {
    const answer = await http(`${hub.url}${path}`, { method });
    expect(answer.status).toBe(404);
  });
});
