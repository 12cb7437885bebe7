/**
 * Real passes over the demo world (config/sim/demo-world.yaml) with its desired state
 * (config/sim/demo-hub.yaml): the real adapters against the simulator over real sockets. The tests
 * of this file are one story and run in order on one world: converge, stay converged, follow a
 * re-provisioned permission set (nothing to do) and a reassigned one (a new role suffix), revert or keep
 * hand edits by ownership, pick up a new node group.
 * After every apply the hub must still be able to authenticate to every cluster.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  DEMO_DISPUTED,
  e2ePorts,
  expectConverged,
  explain,
  hubAccess,
  liveMapRoles,
  liveMapUsers,
  type MappedRole,
  mappingOf,
  outcomes,
  pass,
  refOf,
  resultOf,
  snapshot,
  ssoRoleArn,
  useDemoWorld,
} from './helpers.js';

const { h, state, names, everyone, writes } = useDemoWorld();
const refs = () => names.map((n) => refOf(state, n));

const prod = refOf(state, 'payments-prod');
const staging = refOf(state, 'payments-staging');
/** payments-staging's entries as a team wrote them, before the hub's first pass. */
let stagingBefore: { roles: MappedRole[]; users: ReturnType<typeof liveMapUsers> } | undefined;

describe('demo world, one pass after another', { timeout: 15_000 }, () => {
  it('the first apply converges every cluster and creates the missing aws-auth of analytics', async () => {
    expect(h.sim.control.readAwsAuth(refOf(state, 'analytics'))).toBeNull();
    stagingBefore = { roles: liveMapRoles(h.sim, staging), users: liveMapUsers(h.sim, staging) };
    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual(everyone('applied'));
    expect(resultOf(report, 'analytics').created).toBe(true);
    expect(resultOf(report, 'payments-prod').created).toBe(false);
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    // The paths of node roles and regional SSO roles never reach aws-auth.
    const prodRoles = liveMapRoles(h.sim, prod);
    expect(prodRoles.filter((e) => /:role\/.+\//.test(e.rolearn))).toEqual([]);
    expect(mappingOf(prodRoles, ssoRoleArn(h.sim, '111122223333', 'ReadOnly'))).toMatchObject({
      username: 'ro:{{SessionName}}',
      groups: ['viewers'],
    });
    expect(await hubAccess(h.sim, refs())).toEqual(everyone('ok'));
  });

  it('under merge ownership the first pass leaves every entry others wrote as it was (payments-staging)', () => {
    // The team's hand-written entries, ci-deployer (username ci, system:masters) among them: the file's
    // defaults map ci-deployer differently, but in merge mode only entries the hub wrote may change.
    expect(stagingBefore).toBeDefined();
    const roles = liveMapRoles(h.sim, staging);
    for (const entry of stagingBefore?.roles ?? []) expect(mappingOf(roles, entry.rolearn), entry.rolearn).toEqual(entry);
    expect(liveMapUsers(h.sim, staging)).toEqual(expect.arrayContaining(stagingBefore?.users ?? []));
  });

  it('a second pass writes nothing: every cluster unchanged, no write request, same resourceVersions', async () => {
    const before = snapshot(h.sim);
    const writesBefore = writes();
    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual(everyone('unchanged'));
    expect(writes()).toBe(writesBefore);
    expect(snapshot(h.sim)).toEqual(before);
  });

  it('a re-provisioned permission set (ProvisionPermissionSet: policies pushed to its existing role) keeps its suffix: the next pass writes nothing', async () => {
    const arn = ssoRoleArn(h.sim, '111122223333', 'ReadOnly');
    const { roleArns } = h.sim.control.provisionPermissionSet('111122223333', 'ReadOnly');
    expect(roleArns).toHaveLength(1);
    expect(ssoRoleArn(h.sim, '111122223333', 'ReadOnly')).toBe(arn);
    const before = snapshot(h.sim);
    const writesBefore = writes();
    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual(everyone('unchanged'));
    expect(writes()).toBe(writesBefore);
    expect(snapshot(h.sim)).toEqual(before);
  });

  it('a reassigned permission set (a new role suffix) changes exactly the affected clusters on the next pass, and the old ARN is gone', async () => {
    const oldArn = ssoRoleArn(h.sim, '111122223333', 'ReadOnly');
    const otherAccountReadOnly = ssoRoleArn(h.sim, '444455556666', 'ReadOnly');
    const { roleArn } = h.sim.control.reassignPermissionSet('111122223333', 'ReadOnly');
    const newArn = ssoRoleArn(h.sim, '111122223333', 'ReadOnly');
    expect(newArn).not.toBe(oldArn);
    expect(roleArn).toContain('/aws-reserved/sso.amazonaws.com/eu-west-1/'); // regional path in IAM, none in aws-auth
    const before = snapshot(h.sim);

    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual({ ...everyone('unchanged'), 'payments-prod': 'applied' });
    const prodResult = resultOf(report, 'payments-prod');
    expect(prodResult.changes.added).toEqual([]);
    expect(prodResult.changes.removed).toEqual([]);
    expect(
      prodResult.changes.changed.map((c) => [
        c.before.kind === 'role' ? c.before.rolearn : '',
        c.after.kind === 'role' ? c.after.rolearn : '',
      ]),
    ).toEqual([[oldArn, newArn]]);

    const prodRoles = liveMapRoles(h.sim, prod);
    expect(mappingOf(prodRoles, newArn)).toMatchObject({ username: 'ro:{{SessionName}}', groups: ['viewers'] });
    const after = snapshot(h.sim);
    for (const [key, value] of Object.entries(after)) {
      expect(JSON.stringify(value.data ?? {}).toLowerCase(), `${key} still maps the old ARN`).not.toContain(oldArn.toLowerCase());
      if (!key.endsWith('/payments-prod')) expect(value, `${key} was written`).toEqual(before[key]);
    }
    // The same permission set in another account is another role, untouched.
    expect(mappingOf(liveMapRoles(h.sim, refOf(state, 'ml-training')), otherAccountReadOnly)).toBeDefined();
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    expect(await hubAccess(h.sim, refs())).toEqual(everyone('ok'));
  });

  it('a hand edit is reverted under full ownership (payments-prod)', async () => {
    const live = h.sim.control.readAwsAuth(prod);
    expect(live).not.toBeNull();
    const edited = `${(live?.data['mapRoles'] ?? '').replace('username: ci-deployer', 'username: ci-by-hand')}- rolearn: arn:aws:iam::111122223333:role/intruder\n  username: intruder\n  groups:\n    - system:masters\n`;
    expect(edited).toContain('ci-by-hand');
    h.sim.control.editAwsAuth(prod, { ...live?.data, mapRoles: edited });
    expect(mappingOf(liveMapRoles(h.sim, prod), 'arn:aws:iam::111122223333:role/intruder')).toBeDefined();
    const others = snapshot(h.sim);

    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual({ ...everyone('unchanged'), 'payments-prod': 'applied' });
    expect(resultOf(report, 'payments-prod').drift).toBe(true);
    const roles = liveMapRoles(h.sim, prod);
    expect(mappingOf(roles, 'arn:aws:iam::111122223333:role/intruder')).toBeUndefined();
    expect(mappingOf(roles, 'arn:aws:iam::111122223333:role/ci-deployer')).toMatchObject({
      username: 'ci-deployer',
      groups: ['deployers'],
    });
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    const after = snapshot(h.sim);
    for (const key of Object.keys(after)) if (!key.endsWith('/payments-prod')) expect(after[key]).toEqual(others[key]);
    expect(await hubAccess(h.sim, refs())).toEqual(everyone('ok'));
  });

  it("a hand edit of others' entries is kept under merge ownership (payments-staging), and nothing is written", async () => {
    const live = h.sim.control.readAwsAuth(staging);
    expect(live).not.toBeNull();
    const mapRoles = `${live?.data['mapRoles'] ?? ''}- rolearn: arn:aws:iam::111122223333:role/team-x\n  username: team-x\n  groups:\n    - team-x-admins\n`;
    const mapUsers = (live?.data['mapUsers'] ?? '').replace('username: alice', 'username: alice-by-hand');
    expect(mapUsers).toContain('alice-by-hand');
    const edited = h.sim.control.editAwsAuth(staging, { ...live?.data, mapRoles, mapUsers });

    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual(everyone('unchanged'));
    expect(h.sim.control.readAwsAuth(staging)).toEqual(edited);
    expect(mappingOf(liveMapRoles(h.sim, staging), 'arn:aws:iam::111122223333:role/team-x')).toMatchObject({
      username: 'team-x',
      groups: ['team-x-admins'],
    });
    expect(liveMapUsers(h.sim, staging)).toContainEqual({
      userarn: 'arn:aws:iam::111122223333:user/alice',
      username: 'alice-by-hand',
      groups: ['system:masters'],
    });
    expectConverged(h.sim, state, ['payments-staging'], DEMO_DISPUTED);
  });

  it('under merge ownership an entry the hub wrote is set back, while the hand-added entries stay', async () => {
    const live = h.sim.control.readAwsAuth(staging);
    const edited = (live?.data['mapRoles'] ?? '').replace('username: dev:{{SessionName}}', 'username: dev-by-hand');
    expect(edited).toContain('dev-by-hand');
    h.sim.control.editAwsAuth(staging, { ...live?.data, mapRoles: edited });

    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual({ ...everyone('unchanged'), 'payments-staging': 'applied' });
    const roles = liveMapRoles(h.sim, staging);
    expect(mappingOf(roles, ssoRoleArn(h.sim, '111122223333', 'PowerUserAccess'))).toMatchObject({
      username: 'dev:{{SessionName}}',
      groups: ['developers'],
    });
    expect(mappingOf(roles, 'arn:aws:iam::111122223333:role/team-x')).toMatchObject({ username: 'team-x' });
    expect(liveMapUsers(h.sim, staging)).toContainEqual({
      userarn: 'arn:aws:iam::111122223333:user/alice',
      username: 'alice-by-hand',
      groups: ['system:masters'],
    });
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    expect(await hubAccess(h.sim, refs())).toEqual(everyone('ok'));
  });

  it("a new node group's role is mapped on the next pass (and as a Windows node for a WINDOWS_ AMI type)", async () => {
    const ml = refOf(state, 'ml-training');
    const platform = refOf(state, 'platform-tools');
    h.sim.control.createRole('444455556666', 'ml-gpu-node', '/eks/');
    h.sim.control.createRole('555566667777', 'platform-win2019-node');
    h.sim.control.addNodegroup(ml, 'gpu-large', 'arn:aws:iam::444455556666:role/eks/ml-gpu-node', 'AL2_x86_64_GPU');
    h.sim.control.addNodegroup(
      platform,
      'windows-2019',
      'arn:aws:iam::555566667777:role/platform-win2019-node',
      'WINDOWS_CORE_2019_x86_64',
    );

    const report = await pass(state);
    expect(outcomes(report), explain(report)).toEqual({ ...everyone('unchanged'), 'ml-training': 'applied', 'platform-tools': 'applied' });
    expect(mappingOf(liveMapRoles(h.sim, ml), 'arn:aws:iam::444455556666:role/ml-gpu-node')).toEqual({
      rolearn: 'arn:aws:iam::444455556666:role/ml-gpu-node',
      username: 'system:node:{{EC2PrivateDNSName}}',
      groups: ['system:bootstrappers', 'system:nodes'],
    });
    const win = mappingOf(liveMapRoles(h.sim, platform), 'arn:aws:iam::555566667777:role/platform-win2019-node');
    expect(win?.username).toBe('system:node:{{EC2PrivateDNSName}}');
    expect([...(win?.groups ?? [])].sort()).toEqual(['eks:kube-proxy-windows', 'system:bootstrappers', 'system:nodes']);
    expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
    expect(await hubAccess(h.sim, refs())).toEqual(everyone('ok'));
  });

  it('after all of this a plan pass finds nothing to do and no cluster refuses the hub', async () => {
    const report = await pass(state, { dryRun: true });
    expect(outcomes(report), explain(report)).toEqual(everyone('unchanged'));
    expect(report.clusters.filter((c) => c.error?.code === 'kube.unauthorized')).toEqual([]);
  });
});

describe('a long-running hub (one set of ports across passes)', { timeout: 15_000 }, () => {
  it('keeps working when its account sessions and cluster tokens have expired', async () => {
    const ports = e2ePorts(state);
    const first = await pass(state, { ports });
    expect(outcomes(first), explain(first)).toEqual(everyone('unchanged'));
    h.sim.control.reassignPermissionSet('555566667777', 'PlatformOps');
    // 61 minutes later for everyone (the hub, its SDK clients and the simulator read the same clock):
    // the one-hour sessions and every cached token have expired.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61 * 60_000);
      const report = await pass(state, { ports });
      expect(outcomes(report), explain(report)).toEqual({ ...everyone('unchanged'), 'platform-tools': 'applied' });
      expectConverged(h.sim, state, undefined, DEMO_DISPUTED);
      expect(await hubAccess(h.sim, refs())).toEqual(everyone('ok'));
    } finally {
      vi.useRealTimers();
    }
  });
});
