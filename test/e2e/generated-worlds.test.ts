/**
 * Passes over generated worlds with a desired state built here (every cluster: the defaults map the
 * AdministratorAccess and ReadOnly permission sets; the hub assumes eks-auth-hub-spoke with
 * ExternalId example-external-id).
 * - 20 accounts × 5 clusters (40 permission sets each): the first pass converges all 100 clusters,
 *   the second is a no-op, and each account's Identity Center roles are listed once per pass.
 * - A broken account fails alone: when the hub cannot enter one account, that account's clusters are
 *   `failed` and untouched, and every other account converges in the same pass.
 * Each block has its own simulator.
 */

import { GENERATED_MANAGEMENT_ACCOUNT, generatedAccountId, generateWorld, SPOKE_ROLE } from '@eks-auth-hub/sim';
import { describe, expect, it } from 'vitest';
import {
  allIds,
  calls,
  expectConverged,
  explain,
  generatedHubYaml,
  hubAccess,
  loadState,
  outcomesById,
  pass,
  snapshot,
  useSimulator,
  writesSeen,
} from './helpers.js';

describe('generated world: 20 accounts × 5 clusters', { timeout: 20_000 }, () => {
  const world = generateWorld({ accounts: 20, clustersPerAccount: 5, ssoRolesPerAccount: 40 });
  const h = useSimulator(() => world);
  const state = loadState(generatedHubYaml(world), 'generated-hub.yaml');
  const writes = (): number => writesSeen(h.sim);

  it('is 100 clusters in 20 accounts', () => {
    expect(state.clusters).toHaveLength(100);
    expect(new Set(state.clusters.map((c) => c.account)).size).toBe(20);
  });

  it('the first pass converges all 100, creating the missing aws-auth, with one ListRoles per account', async () => {
    const missing = new Set(
      Object.entries(snapshot(h.sim))
        .filter(([, v]) => v.resourceVersion === null)
        .map(([k]) => k),
    );
    expect(missing.size).toBeGreaterThan(0);
    h.sim.control.resetCounters();
    const report = await pass(state);
    expect(outcomesById(report), explain(report)).toEqual(allIds(state, () => 'applied'));
    expect(new Set(report.clusters.filter((c) => c.created).map((c) => c.clusterId))).toEqual(missing);
    expect(calls(h.sim, 'iam:ListRoles')).toBe(20);
    expectConverged(h.sim, state);
    const access = await hubAccess(
      h.sim,
      state.clusters.map((c) => ({ account: c.account, region: c.region, cluster: c.name })),
    );
    expect(Object.values(access).filter((v) => v !== 'ok')).toEqual([]);
  });

  it('the second pass is a no-op: all unchanged, nothing written, one ListRoles per account again', async () => {
    const before = snapshot(h.sim);
    h.sim.control.resetCounters();
    const report = await pass(state);
    expect(outcomesById(report), explain(report)).toEqual(allIds(state, () => 'unchanged'));
    expect(writes()).toBe(0);
    expect(calls(h.sim, 'iam:ListRoles')).toBe(20);
    expect(snapshot(h.sim)).toEqual(before);
  });
});

describe('generated world: one account refuses AssumeRole', { timeout: 15_000 }, () => {
  const world = generateWorld({ accounts: 4, clustersPerAccount: 3, ssoRolesPerAccount: 5, seed: 7 });
  const h = useSimulator(() => world);
  const state = loadState(generatedHubYaml(world), 'generated-hub.yaml');
  const broken = generatedAccountId(1);
  const refs = state.clusters.map((c) => ({ account: c.account, region: c.region, cluster: c.name }));

  it('fails alone: its clusters are failed and untouched, the other accounts converge', async () => {
    h.sim.control.deleteRole(broken, SPOKE_ROLE);
    const before = snapshot(h.sim);
    const report = await pass(state);
    expect(outcomesById(report), explain(report)).toEqual(allIds(state, (c) => (c.account === broken ? 'failed' : 'applied')));
    for (const result of report.clusters.filter((c) => c.account === broken)) {
      expect(result.error?.code, result.clusterId).toBe('sts.role-unavailable');
      expect(result.error?.message).toContain(`arn:aws:iam::${broken}:role/${SPOKE_ROLE}`);
    }
    const after = snapshot(h.sim);
    for (const key of Object.keys(after)) if (key.startsWith(`${broken}/`)) expect(after[key], key).toEqual(before[key]);
    expectConverged(h.sim, { ...state, clusters: state.clusters.filter((c) => c.account !== broken) });
    const access = await hubAccess(
      h.sim,
      refs.filter((r) => r.account !== broken),
    );
    expect(
      Object.values(access).every((v) => v === 'ok'),
      JSON.stringify(access),
    ).toBe(true);
  });

  it('converges on the next pass once the role is trusted again, without touching the others', async () => {
    h.sim.control.createRole(broken, SPOKE_ROLE, '/', [
      { principal: `arn:aws:iam::${GENERATED_MANAGEMENT_ACCOUNT}:user/eks-auth-hub`, externalId: 'example-external-id' },
    ]);
    const before = snapshot(h.sim);
    const report = await pass(state);
    expect(outcomesById(report), explain(report)).toEqual(allIds(state, (c) => (c.account === broken ? 'applied' : 'unchanged')));
    const after = snapshot(h.sim);
    for (const key of Object.keys(after)) if (!key.startsWith(`${broken}/`)) expect(after[key], key).toEqual(before[key]);
    expectConverged(h.sim, state);
  });

  it('a role trusted with another ExternalId is refused the same way', async () => {
    h.sim.control.deleteRole(broken, SPOKE_ROLE);
    h.sim.control.createRole(broken, SPOKE_ROLE, '/', [
      { principal: `arn:aws:iam::${GENERATED_MANAGEMENT_ACCOUNT}:user/eks-auth-hub`, externalId: 'another-external-id' },
    ]);
    const report = await pass(state, { dryRun: true });
    expect(outcomesById(report), explain(report)).toEqual(allIds(state, (c) => (c.account === broken ? 'failed' : 'unchanged')));
  });
});
