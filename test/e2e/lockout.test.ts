/**
 * The safety net behind the guard, on the wire: after every write the hub reads aws-auth back with a
 * fresh token; a lockout is detected and, with a recovery role (the cluster's creator), undone. Every
 * write first keeps the replaced version, which `history` lists and `rollback` puts back.
 */
import { readFileSync } from 'node:fs';
import { createAwsPorts } from '@eks-auth-hub/aws';
import { type DesiredState, HISTORY_CONFIGMAP, readHistory, reconcile } from '@eks-auth-hub/core';
import type { WorldFile } from '@eks-auth-hub/sim';
import { describe, expect, it } from 'vitest';
import {
  demoHub,
  demoHubFile,
  demoWorld,
  explain,
  liveMapRoles,
  loadState,
  mappingOf,
  pass,
  refOf,
  resultOf,
  runCli,
  useSimulator,
} from './helpers.js';

const HUB_USER = 'arn:aws:iam::999988887777:user/eks-auth-hub';

/** The demo world, where the role that created payments-prod (terraform) also trusts the hub: the recovery role. */
function world(): WorldFile {
  const w = demoWorld();
  return {
    ...w,
    accounts: w.accounts.map((a) =>
      a.id !== '111122223333'
        ? a
        : {
            ...a,
            roles: a.roles.map((r) =>
              r.name === 'terraform' ? { ...r, trust: [{ principal: HUB_USER, externalId: 'example-external-id' }] } : r,
            ),
          },
    ),
  };
}

const h = useSimulator(world);
const state = demoHub();
const prod = refOf(state, 'payments-prod');
const analytics = refOf(state, 'analytics');
const SPOKE = 'arn:aws:iam::111122223333:role/eks-auth-hub-spoke';

/**
 * A desired state whose guard protects the wrong role: it names a decoy as the hub's role while the
 * ports really authenticate as eks-auth-hub-spoke. Full ownership then removes the real spoke's
 * mapping, which the guard cannot see — the lockout the verification must catch.
 */
function weakenedGuard(): DesiredState {
  const text = readFileSync(demoHubFile, 'utf8').replace('roleName: eks-auth-hub-spoke', 'roleName: decoy-role');
  return loadState(text);
}

function historyOf(ref: typeof prod): ReturnType<typeof readHistory> {
  const cluster = h.sim.world.cluster(ref.account, ref.region, ref.cluster);
  return readHistory(cluster.configMaps.get(`kube-system/${HISTORY_CONFIGMAP}`)?.data);
}

describe('verification after a write', { timeout: 20_000 }, () => {
  it('detects the lockout and restores the previous aws-auth through the recovery role', async () => {
    const before = h.sim.control.readAwsAuth(prod);
    expect(mappingOf(liveMapRoles(h.sim, prod), SPOKE)?.groups).toContain('system:masters');
    const weak = weakenedGuard();
    const ports = createAwsPorts({
      hub: { ...weak.hub, roleName: 'eks-auth-hub-spoke', recoveryRoleName: 'terraform' },
      maxAttempts: 1,
      requestTimeoutMs: 5_000,
    });
    const report = await reconcile(weak, ports, { passId: 'lockout-1', dryRun: false, only: ['payments-prod'] });
    const result = resultOf(report, 'payments-prod');
    expect(result, explain(report)).toMatchObject({ outcome: 'failed', error: { code: 'hub.lockout' }, lockout: { restored: true } });
    expect(result.lockout?.message).toContain('HTTP 401');
    // The data is back as it was, and the hub gets in again.
    expect(h.sim.control.readAwsAuth(prod)?.data).toEqual(before?.data);
    expect(mappingOf(liveMapRoles(h.sim, prod), SPOKE)?.groups).toContain('system:masters');
    const after = await pass(state, { only: ['payments-prod'] });
    expect(resultOf(after, 'payments-prod').outcome, explain(after)).toBe('applied');
    // The version the lockout replaced was kept first.
    expect(historyOf(prod).length).toBeGreaterThanOrEqual(1);
  });

  it('without a recovery role, reports the lockout and says where the previous version is', async () => {
    const weak = weakenedGuard();
    const ports = createAwsPorts({ hub: { ...weak.hub, roleName: 'eks-auth-hub-spoke' }, maxAttempts: 1, requestTimeoutMs: 5_000 });
    const report = await reconcile(weak, ports, { passId: 'lockout-2', dryRun: false, only: ['payments-prod'] });
    const result = resultOf(report, 'payments-prod');
    expect(result).toMatchObject({ outcome: 'failed', lockout: { restored: false } });
    expect(result.lockout?.message).toContain('eks-auth-hub-history');
    // Put it back from the history as the creator would (the hub itself is out now).
    const [last] = historyOf(prod);
    if (last === undefined) throw new Error('no history');
    h.sim.control.editAwsAuth(prod, last.data);
    expect(mappingOf(liveMapRoles(h.sim, prod), SPOKE)?.groups).toContain('system:masters');
  });
});

describe('history and rollback', { timeout: 30_000 }, () => {
  it('keeps each replaced version; `history` lists them and `rollback` puts one back through the guard', async () => {
    const env = h.sim.env('eu-west-1');
    expect(resultOf(await pass(state, { only: ['analytics'] }), 'analytics').outcome).toMatch(/applied|unchanged/);
    // A hand edit, set back by the next pass: the hand-edited version is kept.
    const live = h.sim.control.readAwsAuth(analytics);
    const edited = `${live?.data['mapRoles'] ?? ''}- rolearn: arn:aws:iam::444455556666:role/hand-added\n  username: hand\n  groups: [viewers]\n`;
    h.sim.control.editAwsAuth(analytics, { ...(live?.data ?? {}), mapRoles: edited });
    expect(resultOf(await pass(state, { only: ['analytics'] }), 'analytics')).toMatchObject({ outcome: 'applied', drift: true });
    expect(mappingOf(liveMapRoles(h.sim, analytics), 'arn:aws:iam::444455556666:role/hand-added')).toBeUndefined();

    const listed = await runCli(['history', '--config', demoHubFile, '--cluster', 'analytics'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      /^analytics: 1 version kept \(newest first\)\n {3}1 {2}replaced \S+ by pass e2e-\d+ {2}\d+ roles, 0 users, 0 accounts {2}\(desired [0-9a-f]{12}\)\n$/,
    );

    const back = await runCli(['rollback', '--config', demoHubFile, '--cluster', 'analytics', '--to', '1'], env);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('analytics: version 1 put back');
    expect(mappingOf(liveMapRoles(h.sim, analytics), 'arn:aws:iam::444455556666:role/hand-added')?.username).toBe('hand');
    expect(historyOf(analytics)).toHaveLength(2);

    const again = await runCli(['rollback', '--config', demoHubFile, '--cluster', 'analytics', '--to', '1'], env);
    expect(again.code, again.stderr).toBe(0);
    const missing = await runCli(['rollback', '--config', demoHubFile, '--cluster', 'analytics', '--to', '9'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no version 9');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a rollback the guard would refuse (it would drop node mappings)', async () => {
    const env = h.sim.env('eu-west-1');
    // A version without node mappings, then a pass that adds them back: rolling back would drop them.
    const live = h.sim.control.readAwsAuth(analytics);
    h.sim.control.editAwsAuth(analytics, {
      ...(live?.data ?? {}),
      mapRoles: '- rolearn: arn:aws:iam::444455556666:role/eks-auth-hub-spoke\n  username: hub\n  groups: [system:masters]\n',
    });
    expect(resultOf(await pass(state, { only: ['analytics'] }), 'analytics').outcome).toBe('applied');
    const refused = await runCli(['rollback', '--config', demoHubFile, '--cluster', 'analytics', '--to', '1'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused by guard \((node-mapping-removed|mass-removal)\)/);
  });
});
