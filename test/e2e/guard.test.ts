/**
 * The guard on the wire: a failed listing and an unreadable live aws-auth stop the writes that
 * depend on them, leave the clusters exactly as they were, and do not stop the other clusters.
 * In order on one demo world.
 */
import { describe, expect, it } from 'vitest';
import {
  calls,
  DEMO_DISPUTED,
  demoHubFile,
  expectConverged,
  explain,
  hubAccess,
  liveMapRoles,
  mappingOf,
  outcomes,
  pass,
  refOf,
  resultOf,
  runCli,
  snapshot,
  ssoRoleArn,
  useDemoWorld,
} from './helpers.js';

const { h, state, names, everyone, writes } = useDemoWorld();

describe('a throttled IAM listing', { timeout: 15_000 }, () => {
  it('blocks every write that depends on it (incomplete-listing) and touches no cluster', async () => {
    const before = snapshot(h.sim);
    const writesBefore = writes();
    h.sim.control.setFault('iam:ListRoles', { throttleRate: 1 });
    try {
      const report = await pass(state);
      expect(outcomes(report), explain(report)).toEqual(everyone('blocked'));
      for (const result of report.clusters) {
        expect(
          result.refusals.map((r) => r.rule),
          result.name,
        ).toContain('incomplete-listing');
        expect(result.changes).toEqual({ added: [], removed: [], changed: [] });
      }
      expect(calls(h.sim, 'iam:ListRoles')).toBeGreaterThan(0);
    } finally {
      h.sim.control.clearFaults();
    }
    expect(writes()).toBe(writesBefore);
    expect(snapshot(h.sim)).toEqual(before);
  });

  it('the next pass, with the fault cleared, converges every cluster', async () => {
    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual(everyone('applied'));
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    expect(
      await hubAccess(
        h.sim,
        names.map((n) => refOf(state, n)),
      ),
    ).toEqual(everyone('ok'));
  });
});

describe('a live mapRoles that is not valid YAML', { timeout: 30_000 }, () => {
  const ml = refOf(state, 'ml-training');
  const broken =
    '- rolearn: arn:aws:iam::444455556666:role/analytics-node\n  username: "system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes\n';

  it('is refused (live-unparseable) and left untouched, while the other clusters converge', async () => {
    const edited = h.sim.control.editAwsAuth(ml, { mapRoles: broken });
    expect(edited).not.toBeNull();
    // Something for the other cluster of the account to do: a new AdministratorAccess role.
    const oldAdmin = ssoRoleArn(h.sim, '444455556666', 'AdministratorAccess');
    h.sim.control.reassignPermissionSet('444455556666', 'AdministratorAccess');
    const newAdmin = ssoRoleArn(h.sim, '444455556666', 'AdministratorAccess');

    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual({ ...everyone('unchanged'), analytics: 'applied', 'ml-training': 'blocked' });
    expect(resultOf(report, 'ml-training').refusals.map((r) => r.rule)).toContain('live-unparseable');
    expect(h.sim.control.readAwsAuth(ml)).toEqual(edited);

    const analytics = liveMapRoles(h.sim, refOf(state, 'analytics'));
    expect(mappingOf(analytics, newAdmin)).toMatchObject({ username: 'admin:{{SessionName}}', groups: ['system:masters'] });
    expect(mappingOf(analytics, oldAdmin)).toBeUndefined();
    expectConverged(
      h.sim,
      state,
      names.filter((n) => n !== 'ml-training'),
      DEMO_DISPUTED,
    );
  });

  it('`apply --allow-repair` through the CLI rewrites it to the desired mappings', async () => {
    const others = snapshot(h.sim);
    const run = await runCli(['apply', '--config', demoHubFile, '--cluster', 'ml-training', '--allow-repair'], h.sim.env());
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^ml-training .*: applied/m);
    expectConverged(h.sim, state, ['ml-training'], DEMO_DISPUTED);
    const after = snapshot(h.sim);
    for (const key of Object.keys(after)) if (!key.endsWith('/ml-training')) expect(after[key], key).toEqual(others[key]);
    expect(await hubAccess(h.sim, [ml])).toEqual({ 'ml-training': 'ok' });
    const next = await pass(state);
    expect(outcomes(next), explain(next)).toEqual(everyone('unchanged'));
  });
});

describe('a hand edit that lands between the hub’s read and its write', { timeout: 15_000 }, () => {
  it('makes the write conflict (409); the hub reads again and plans again, so the edit is not lost', async () => {
    const staging = refOf(state, 'payments-staging');
    h.sim.control.reassignPermissionSet('111122223333', 'PowerUserAccess');
    const newArn = ssoRoleArn(h.sim, '111122223333', 'PowerUserAccess');
    const delayed = (): number => h.sim.control.faultsInjected()['latency'] ?? 0;
    const before = delayed();
    h.sim.control.setFault('k8s:update', { latencyMs: 400 });
    try {
      const running = pass(state, { only: ['payments-staging'] });
      // Wait until the hub's replace has reached the server and is being held, then edit by hand.
      for (let i = 0; i < 200 && delayed() === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(delayed(), 'the hub never sent its write').toBeGreaterThan(before);
      const live = h.sim.control.readAwsAuth(staging);
      const mapRoles = `${live?.data['mapRoles'] ?? ''}- rolearn: arn:aws:iam::111122223333:role/team-y\n  username: team-y\n  groups:\n    - team-y-admins\n`;
      h.sim.control.editAwsAuth(staging, { ...live?.data, mapRoles });

      const report = await running;
      expect(outcomes(report), explain(report)).toEqual({ 'payments-staging': 'applied' });
      expect(resultOf(report, 'payments-staging').attempts).toBeGreaterThan(1);
    } finally {
      h.sim.control.clearFaults();
    }
    const roles = liveMapRoles(h.sim, staging);
    expect(mappingOf(roles, 'arn:aws:iam::111122223333:role/team-y')).toMatchObject({ username: 'team-y', groups: ['team-y-admins'] });
    expect(mappingOf(roles, newArn)).toMatchObject({ username: 'dev:{{SessionName}}', groups: ['developers'] });
    expectConverged(h.sim, state, ['payments-staging'], DEMO_DISPUTED);
  });
});
