/**
 * The built CLI (`node apps/controller/dist/main.js`) as a child process against an in-process
 * simulator, with the simulator's environment: exit codes, the readable diff, the JSON report, the
 * cluster filter, and the `token` command's ExecCredential. In order on one demo world. Starting the
 * program costs about two seconds, so runs that cannot disturb each other are started together.
 * Needs `pnpm build` first.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassReport } from '@eks-auth-hub/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assumeSpoke,
  bin,
  type CliRun,
  DEMO_DISPUTED,
  demoHubFile,
  expectConverged,
  hubAccess,
  kubeApi,
  refOf,
  runCli,
  snapshot,
  ssoRoleArn,
  useDemoWorld,
} from './helpers.js';

const { h, state, names, writes } = useDemoWorld();
const cli = (...args: string[]): Promise<CliRun> => runCli(args, h.sim.env());
const show = (run: CliRun): string => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

const prod = { account: '111122223333', region: 'eu-west-1', cluster: 'payments-prod' };
const staging = { ...prod, cluster: 'payments-staging' };

/**
 * `token` with the spoke role's session credentials in the standard environment variables, started
 * once the simulator is up and run alongside the first plans; its output is checked below.
 */
let tokenRun: Promise<CliRun>;
beforeAll(() => {
  tokenRun = (async () => {
    const session = await assumeSpoke(h.sim, '111122223333');
    return runCli(['token', '--cluster', 'payments-prod', '--region', 'eu-west-1'], {
      ...h.sim.env(),
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
      KUBERNETES_EXEC_INFO: JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        spec: { interactive: false },
      }),
    });
  })();
  tokenRun.catch(() => undefined); // awaited (and reported) by its test
});

function jsonReport(run: CliRun): PassReport {
  const report = JSON.parse(run.stdout) as PassReport;
  const tally: Record<string, number> = { unchanged: 0, applied: 0, planned: 0, blocked: 0, failed: 0 };
  for (const c of report.clusters) tally[c.outcome] = (tally[c.outcome] ?? 0) + 1;
  expect(report.counts, 'counts match the clusters').toEqual(tally);
  return report;
}

describe('eks-auth-hub plan / apply / token against the simulator', { timeout: 30_000 }, () => {
  it('is built', () => {
    expect(existsSync(bin), 'run `pnpm build` first').toBe(true);
  });

  it('plan: exit 2 with the readable diff; an unknown --cluster exits 1 with a message; nothing is written', async () => {
    const before = snapshot(h.sim);
    const [text, unknown] = await Promise.all([
      cli('plan', '--config', demoHubFile),
      cli('plan', '--config', demoHubFile, '--cluster', 'payments-prod', '--cluster', 'no-such-cluster'),
    ]);

    expect(text.code, show(text)).toBe(2);
    const readOnly = ssoRoleArn(h.sim, '111122223333', 'ReadOnly');
    expect(text.stdout).toContain(`  + ${readOnly}  ro:{{SessionName}} [viewers]  (permission set ReadOnly)`);
    for (const name of names) expect(text.stdout).toMatch(new RegExp(`^${name} {2}\\(\\d{12}, [a-z0-9-]+\\): \\d+ changes? pending$`, 'm'));
    expect(text.stdout).toMatch(/^5 clusters: 5 with changes pending, 0 unchanged, 0 blocked, 0 failed \(pass /m);

    expect(unknown.code, show(unknown)).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('no cluster named no-such-cluster');

    expect(writes()).toBe(0);
    expect(snapshot(h.sim)).toEqual(before);
  });

  it('apply --cluster NAME limits the pass to that cluster', async () => {
    const before = snapshot(h.sim);
    const run = await cli('apply', '--config', demoHubFile, '--cluster', 'analytics');
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toMatch(/^analytics {2}\(444455556666, us-east-1\): created aws-auth with \d+ changes$/m);
    expect(run.stdout).toMatch(/^1 cluster: 1 applied, 0 unchanged, 0 blocked, 0 failed/m);
    expect(run.stdout).not.toContain('payments-prod');
    expectConverged(h.sim, state, ['analytics'], DEMO_DISPUTED);
    const after = snapshot(h.sim);
    for (const key of Object.keys(after)) if (!key.endsWith('/analytics')) expect(after[key], key).toEqual(before[key]);
  });

  it('apply exits 0 when every cluster is applied or unchanged, and --output json counts match', async () => {
    const run = await cli('apply', '--config', demoHubFile, '--output', 'json');
    expect(run.code, show(run)).toBe(0);
    const report = jsonReport(run);
    expect(report.dryRun).toBe(false);
    expect(Object.fromEntries(report.clusters.map((c) => [c.name, c.outcome]))).toEqual({
      'payments-prod': 'applied',
      'payments-staging': 'applied',
      analytics: 'unchanged',
      'ml-training': 'applied',
      'platform-tools': 'applied',
    });
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    expect(
      Object.values(
        await hubAccess(
          h.sim,
          names.map((n) => refOf(state, n)),
        ),
      ),
    ).toEqual(names.map(() => 'ok'));
  });

  it('once everything is applied plan exits 0, and apply exits 1 when one cluster of the file fails (the others unchanged)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-e2e-'));
    const file = join(dir, 'hub.yaml');
    const ghost = '  - name: ghost\n    account: "111122223333"\n    region: eu-west-1\n';
    writeFileSync(file, `${readFileSync(demoHubFile, 'utf8').trimEnd()}\n${ghost}`);
    const before = snapshot(h.sim);
    const [plan, apply] = await Promise.all([cli('plan', '--config', demoHubFile), cli('apply', '--config', file, '--output', 'json')]);

    expect(plan.code, show(plan)).toBe(0);
    expect(plan.stdout).toMatch(/^5 clusters: 0 with changes pending, 5 unchanged, 0 blocked, 0 failed/m);

    expect(apply.code, show(apply)).toBe(1);
    const report = jsonReport(apply);
    expect(report.counts).toEqual({ unchanged: 5, applied: 0, planned: 0, blocked: 0, failed: 1 });
    expect(report.clusters.find((c) => c.name === 'ghost')?.error?.code).toBe('aws.not-found');
    expect(snapshot(h.sim)).toEqual(before);
  });

  it('plan and apply exit 1 when a cluster is blocked, and the blocked cluster is left untouched', async () => {
    const platform = refOf(state, 'platform-tools');
    const good = h.sim.control.readAwsAuth(platform);
    try {
      const broken = h.sim.control.editAwsAuth(platform, { mapRoles: '- rolearn: [unclosed\n' });
      const [plan, apply] = await Promise.all([cli('plan', '--config', demoHubFile), cli('apply', '--config', demoHubFile)]);
      expect(plan.code, show(plan)).toBe(1);
      expect(plan.stdout).toMatch(/^platform-tools {2}\(555566667777, eu-central-1\): blocked/m);
      expect(plan.stdout).toContain('refused by guard (live-unparseable)');
      expect(plan.stdout).toMatch(/^5 clusters: 0 with changes pending, 4 unchanged, 1 blocked, 0 failed/m);
      expect(apply.code, show(apply)).toBe(1);
      expect(apply.stdout).toMatch(/^5 clusters: 0 applied, 4 unchanged, 1 blocked, 0 failed/m);
      expect(h.sim.control.readAwsAuth(platform)).toEqual(broken);
    } finally {
      if (good !== null) h.sim.control.editAwsAuth(platform, good.data, good.annotations);
    }
  });

  it('hub.requestTimeout from the file bounds a hanging API server: that cluster fails with kube.timeout, nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-e2e-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, readFileSync(demoHubFile, 'utf8').replace(/^hub:\n/m, 'hub:\n  requestTimeout: 1s\n'));
    const before = snapshot(h.sim);
    h.sim.control.setFault('k8s:get', { hangRate: 1 });
    try {
      const run = await cli('apply', '--config', file, '--cluster', 'payments-prod', '--output', 'json');
      expect(run.code, show(run)).toBe(1);
      const [result] = jsonReport(run).clusters;
      expect(result).toMatchObject({ name: 'payments-prod', outcome: 'failed', error: { code: 'kube.timeout' } });
      // A timeout is not retried: one request, cut off after the file's 1 s rather than the default 15 s.
      expect(result?.durationMs).toBeLessThan(10_000);
      expect(snapshot(h.sim)).toEqual(before);
    } finally {
      h.sim.control.clearFaults();
    }
  });

  it('token prints an ExecCredential whose token the API server accepts, for that cluster only', async () => {
    const run = await tokenRun;
    expect(run.code, show(run)).toBe(0);
    const credential = JSON.parse(run.stdout) as {
      kind: string;
      apiVersion: string;
      status: { token: string; expirationTimestamp: string };
    };
    expect(credential.kind).toBe('ExecCredential');
    expect(credential.apiVersion).toBe('client.authentication.k8s.io/v1');
    expect(credential.status.token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const expiresIn = Date.parse(credential.status.expirationTimestamp) - Date.now();
    expect(expiresIn).toBeGreaterThan(10 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);

    const api = await kubeApi(h.sim, prod, credential.status.token);
    const cm = await api.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
    expect(cm.metadata?.resourceVersion).toBe(h.sim.control.readAwsAuth(prod)?.resourceVersion);
    expect(cm.data?.['mapRoles']).toContain('arn:aws:iam::111122223333:role/eks-auth-hub-spoke');

    // The token names its cluster: another cluster refuses it.
    const other = await kubeApi(h.sim, staging, credential.status.token);
    const refused = await other.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' }).then(
      () => 'accepted',
      (error: unknown) => `HTTP ${String((error as { code?: unknown }).code)}`,
    );
    expect(refused).toBe('HTTP 401');
  });
});
