/**
 * No call may hang the hub, tried as the user did: the simulator's hang faults on the demo
 * world, the built program as a child process (and the service in-process where its clock is moved).
 * `plan` ends naming `aws.timeout`; `run` cuts a pass short at `hub.passTimeout` and counts it;
 * `/healthz` turns 503 for a pass stalled past its deadline, with what it waits for on `/status`;
 * SIGTERM ends `run` with exit 0 while every call hangs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HISTORY_CONFIGMAP, type HistoryEntry, type PassReport, readHistory } from '@eks-auth-hub/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/run.js';
import type { StatusView } from '../../src/status.js';
import {
  bin,
  demoHubFile,
  demoHubText,
  editMapRoles,
  exitWithin,
  freePort,
  http,
  jsonLines,
  loadState,
  memoryLogger,
  parseExposition,
  refOf,
  runToEnd,
  type Started,
  sampleValue,
  simCount,
  start,
  useSimulator,
  waitFor,
} from './helpers.js';

const h = useSimulator();
const children: Started[] = [];
const hubs: RunningHub[] = [];
const dir = mkdtempSync(join(tmpdir(), 'hub-hangs-'));

afterEach(async () => {
  h.sim.control.clearFaults();
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  for (const hub of hubs.splice(0)) await hub.stop(0);
});

/** The demo file with `settings` added to its hub section, written where a child can read it. */
function hubFile(name: string, settings: string): string {
  const text = demoHubText().replace('  interval: 1m\n', `  interval: 1m\n${settings}`);
  if (!text.includes(settings)) throw new Error('the demo file has no "interval: 1m"');
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const hangs = (operation: string): number => simCount(h.sim, operation, 'hang');

describe('with every sts:AssumeRole hanging', () => {
  it('plan exits 1 naming aws.timeout for every cluster (requestTimeout 2s), well inside 30 s', async () => {
    h.sim.control.setFault('sts:AssumeRole', { hangRate: 1 });
    const file = hubFile('plan.yaml', '  requestTimeout: 2s\n');
    const run = await runToEnd(process.execPath, [bin, 'plan', '--config', file], h.sim.env(), 30_000);
    expect(run.code, run.stderr).toBe(1);
    const state = loadState(demoHubText());
    for (const c of state.clusters)
      expect(run.stdout).toMatch(new RegExp(`${c.name} .*: failed\\n  ✗ aws\\.timeout: sts:AssumeRole arn:aws:iam::${c.account}:`));
    // Nothing on stderr: no SDK warning, no listener warning.
    expect(run.stderr).toBe('');
  }, 40_000);

  it('run cuts the pass short at hub.passTimeout: clusters fail with pass.timeout, the metric counts it, /healthz stays 200', async () => {
    h.sim.control.setFault('sts:AssumeRole', { hangRate: 1 });
    const file = hubFile('run.yaml', '  requestTimeout: 5m\n  passTimeout: 2s\n');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hub = start(process.execPath, [bin, 'run', '--config', file, '--listen', `127.0.0.1:${port}`], h.sim.env());
    children.push(hub);
    const status = await waitFor(
      'the first pass',
      async () => {
        if (hub.child.exitCode !== null) throw new Error(`exited ${hub.child.exitCode}: ${hub.stderr()}`);
        const view = JSON.parse((await http(`${url}/status`)).body) as StatusView & {
          clusters: { error: string | null; outcome: string }[];
        };
        return view.passes >= 1 ? view : undefined;
      },
      20_000,
      50,
    );
    expect(status.lastPass).toMatchObject({ cutShort: 'pass.timeout', counts: { failed: 5 } });
    expect(new Set((status as unknown as { clusters: { error: string | null }[] }).clusters.map((c) => c.error))).toEqual(
      new Set(['pass.timeout']),
    );
    const metrics = parseExposition((await http(`${url}/metrics`)).body);
    expect(sampleValue(metrics, 'eks_auth_hub_pass_timeouts_total')).toBe(1);
    // The pass ended on time: the loop is alive.
    expect((await http(`${url}/healthz`)).status).toBe(200);
    hub.child.kill('SIGTERM');
    expect((await hub.exited).code).toBe(0);
  }, 40_000);

  it('SIGTERM in the middle of a pass that hangs ends run with exit 0 within 10 s', async () => {
    h.sim.control.setFault('sts:AssumeRole', { hangRate: 1 });
    const file = hubFile('sigterm.yaml', '  requestTimeout: 5m\n');
    const port = await freePort();
    const before = hangs('sts:AssumeRole');
    const hub = start(process.execPath, [bin, 'run', '--config', file, '--listen', `127.0.0.1:${port}`], h.sim.env());
    children.push(hub);
    await waitFor('a hanging AssumeRole', () => hangs('sts:AssumeRole') > before, 20_000, 20);
    hub.child.kill('SIGTERM');
    const exited = await exitWithin(hub, 10_000);
    expect({ code: exited.code, signal: exited.signal }).toEqual({ code: 0, signal: null });
    const messages = jsonLines<{ msg?: string; code?: string }>(exited.stdout);
    // The pass was ended for the stop, and said so.
    expect(messages.find((m) => m.msg === 'pass cut short')?.code).toBe('hub.stopping');
    expect(messages.at(-1)?.msg).toBe('hub stopped');
  }, 40_000);
});

describe('health', () => {
  it('/healthz turns 503 once a pass runs past its deadline plus the grace; /status says since when and what is in flight; /readyz keeps its meaning', async () => {
    h.sim.control.setFault('sts:AssumeRole', { hangRate: 1 });
    // The pass's real deadline is an hour away: only the service's clock moves.
    const state = loadState(demoHubText().replace('  interval: 1m\n', '  interval: 1m\n  requestTimeout: 5m\n  passTimeout: 1h\n'));
    let now = Date.now();
    const before = hangs('sts:AssumeRole');
    const hub = await startHub({ state, listen: { host: '127.0.0.1', port: 0 }, logger: memoryLogger().logger, now: () => now });
    hubs.push(hub);
    await waitFor('a hanging AssumeRole', () => hangs('sts:AssumeRole') > before, 10_000, 10);
    expect((await http(`${hub.url}/healthz`)).status).toBe(200);

    now += 3_600_000 + 29_000; // past the deadline, within the grace
    expect((await http(`${hub.url}/healthz`)).status).toBe(200);
    now += 2_000;
    const health = await http(`${hub.url}/healthz`);
    expect(health.status).toBe(503);
    expect(health.body).toMatch(/^stalled since \d{4}-\d\d-\d\dT[^ ]+: the pass started at .* is still running past its deadline/);

    const status = JSON.parse((await http(`${hub.url}/status`)).body) as StatusView;
    expect(status.running).toBe(true);
    expect(status.stalled?.since).toBe(status.passDeadline);
    expect(status.inFlight.map((c) => c.operation)).toContain('sts:open-session');
    expect(status.inFlight.map((c) => c.target)).toContain('111122223333');
    const page = (await http(`${hub.url}/`)).body;
    expect(page).toContain(`stalled since ${status.stalled?.since ?? ''}`);
    expect(page).toContain('sts:open-session 111122223333');
    // Ready means "a pass has finished": none has, stalled or not.
    expect((await http(`${hub.url}/readyz`)).status).toBe(503);
  }, 30_000);
});

describe('the history after a SIGKILL between its write and the aws-auth write', () => {
  it('names, once the next pass has written, only the pass that did replace the version', async () => {
    const state = loadState(demoHubText());
    const ref = refOf(state, 'payments-prod');
    const historyOf = (): HistoryEntry[] =>
      readHistory((h.sim.control.readConfigMap(ref, 'kube-system', HISTORY_CONFIGMAP) as { data?: Record<string, string> } | null)?.data);
    // Something to write: a hand edit the hub sets back.
    editMapRoles(h.sim, ref, (roles) => roles.map((r) => ({ ...r, username: `${r.username}-edited` })));
    const live = h.sim.control.readAwsAuth(ref);
    // The history is created; the aws-auth replace never gets an answer; then the process is killed.
    h.sim.control.setFault('k8s:update', { hangRate: 1 });
    const before = hangs('k8s:update');
    const killed = start(process.execPath, [bin, 'apply', '--config', demoHubFile, '--cluster', 'payments-prod'], h.sim.env());
    children.push(killed);
    await waitFor('the aws-auth write in flight', () => hangs('k8s:update') > before, 20_000, 10);
    killed.child.kill('SIGKILL');
    await killed.exited;
    h.sim.control.clearFaults();
    expect(h.sim.control.readAwsAuth(ref)).toEqual(live);
    const lying = historyOf();
    expect(lying.map((e) => e.resourceVersion)).toEqual([live?.resourceVersion]);
    // `history` says it as it is: that version is still the live one.
    const shown = await runToEnd(process.execPath, [bin, 'history', '--config', demoHubFile, '--cluster', 'payments-prod'], h.sim.env());
    expect(shown.stdout).toContain(`still live: pass ${lying[0]?.passId ?? ''} kept it at`);

    const next = await runToEnd(
      process.execPath,
      [bin, 'apply', '--config', demoHubFile, '--cluster', 'payments-prod', '--output', 'json'],
      h.sim.env(),
    );
    expect(next.code, next.stderr).toBe(0);
    const report = JSON.parse(next.stdout) as PassReport;
    expect(report.clusters[0]?.outcome).toBe('applied');
    expect(historyOf().map((e) => [e.passId, e.resourceVersion])).toEqual([[report.passId, live?.resourceVersion]]);
    const after = await runToEnd(process.execPath, [bin, 'history', '--config', demoHubFile, '--cluster', 'payments-prod'], h.sim.env());
    expect(after.stdout).toContain(`replaced ${historyOf()[0]?.replacedAt ?? ''} by pass ${report.passId}`);
  }, 60_000);
});
