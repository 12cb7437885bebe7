/**
 * What the EKS directory keeps across passes, on the wire against the simulator: what it asks EKS
 * (the simulator's counters) when nothing changed, when node groups come and go, after the expiry,
 * and beyond its bound.
 */
import type { ClusterRef } from '@eks-auth-hub/core';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AwsPorts, type AwsPortsOptions, createAwsPorts } from '../src/ports.js';

const hub = { roleName: 'eks-auth-hub-spoke', externalId: 'example-external-id', sessionName: 'eks-auth-hub' };
const prod: ClusterRef = { account: '111122223333', region: 'eu-west-1', name: 'payments-prod', partition: 'aws' };
const staging: ClusterRef = { ...prod, name: 'payments-staging' };
const simRef = (c: ClusterRef): { account: string; region: string; cluster: string } => ({
  account: c.account,
  region: c.region,
  cluster: c.name,
});

let clock = Date.now();
const ports = (cache: AwsPortsOptions['clusterCache'] = {}): AwsPorts =>
  createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000, clock: { now: () => new Date(clock) }, clusterCache: cache });

const h = useSimulator();
beforeEach(() => h.sim.control.resetCounters());

/** EKS calls the simulator answered since the last reset, by operation. */
function eks(): Record<string, number> {
  return Object.fromEntries(
    Object.entries(h.sim.control.counters())
      .filter(([operation]) => operation.startsWith('eks:'))
      .map(([operation, count]) => [operation.slice(4), count.calls]),
  );
}

const roleOf = (sources: readonly { name?: string; roleArn: string }[], name: string): string | undefined =>
  sources.find((s) => s.name === name)?.roleArn;

describe('EksClusterDirectory across passes', () => {
  it('describes a cluster and its node groups once; later passes only list', async () => {
    const p = ports();
    const first = await p.clusters.describe(prod);
    const roles = await p.clusters.nodeRoles(prod);
    expect(first.cached).toBeUndefined();
    expect(eks()).toMatchObject({ DescribeCluster: 1, DescribeNodegroup: 2, DescribeFargateProfile: 1 });
    h.sim.control.resetCounters();

    const again = await p.clusters.describe(prod);
    expect(again).toEqual({ ...first, cached: true });
    expect(await p.clusters.nodeRoles(prod)).toEqual(roles);
    expect(eks()).toEqual({ ListNodegroups: 1, ListFargateProfiles: 1 });
    expect(p.clusters.cachedClusters).toBe(1);
  });

  it('describes a node group added since, forgets a removed one, and describes one created again under the same name', async () => {
    const p = ports();
    await p.clusters.describe(staging);
    await p.clusters.nodeRoles(staging);
    h.sim.control.addNodegroup(simRef(staging), 'gpu', 'arn:aws:iam::111122223333:role/gpu-node');
    h.sim.control.resetCounters();
    let roles = await p.clusters.nodeRoles(staging);
    expect(roleOf(roles, 'gpu')).toBe('arn:aws:iam::111122223333:role/gpu-node');
    expect(eks()).toMatchObject({ DescribeNodegroup: 1 });

    h.sim.control.removeNodegroup(simRef(staging), 'gpu');
    roles = await p.clusters.nodeRoles(staging);
    expect(roleOf(roles, 'gpu')).toBeUndefined();

    h.sim.control.addNodegroup(simRef(staging), 'gpu', 'arn:aws:iam::111122223333:role/gpu-node-v2');
    h.sim.control.resetCounters();
    roles = await p.clusters.nodeRoles(staging);
    expect(roleOf(roles, 'gpu')).toBe('arn:aws:iam::111122223333:role/gpu-node-v2');
    expect(eks()).toMatchObject({ DescribeNodegroup: 1 });
    h.sim.control.removeNodegroup(simRef(staging), 'gpu');
  });

  it('asks EKS again once what it kept has expired', async () => {
    const p = ports({ ttlMs: 30 * 60_000 });
    await p.clusters.describe(prod);
    await p.clusters.nodeRoles(prod);
    clock += 29 * 60_000;
    h.sim.control.resetCounters();
    await p.clusters.describe(prod);
    await p.clusters.nodeRoles(prod);
    expect(eks()).not.toHaveProperty('DescribeCluster');
    clock += 2 * 60_000;
    expect((await p.clusters.describe(prod)).cached).toBeUndefined();
    await p.clusters.nodeRoles(prod);
    expect(eks()).toMatchObject({ DescribeCluster: 1, DescribeNodegroup: 2, DescribeFargateProfile: 1 });
  });

  it('keeps at most maxClusters, the least recently used going first', async () => {
    const p = ports({ maxClusters: 1 });
    await p.clusters.describe(prod);
    await p.clusters.describe(staging);
    await p.clusters.describe(staging);
    await p.clusters.describe(prod);
    expect(eks()).toEqual({ DescribeCluster: 3 });
    expect(p.clusters.cachedClusters).toBe(1);
  });

  it('forgets a cluster on request and learns the new endpoint of one created again', async () => {
    const p = ports();
    const before = await p.clusters.describe(staging);
    const ngs = h.sim.world.cluster(staging.account, staging.region, staging.name).nodegroups;
    const saved = [...ngs.values()];
    h.sim.control.recreateCluster(simRef(staging));
    expect((await p.clusters.describe(staging)).endpoint).toBe(before.endpoint); // kept: not asked
    p.clusters.forget(staging);
    const after = await p.clusters.describe(staging);
    expect(after.endpoint).not.toBe(before.endpoint);
    expect(after.cached).toBeUndefined();
    for (const ng of saved) h.sim.control.addNodegroup(simRef(staging), ng.name, ng.nodeRole, ng.amiType);
  });
});
