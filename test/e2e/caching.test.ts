/**
 * A long-lived hub's passes (one set of ports, as `run` and a warm Lambda keep): what they ask AWS
 * when nothing changed, and a cluster deleted and created again under the same name between passes.
 */

import { type PassReport, PlanMemo, reconcile } from '@eks-auth-hub/core';
import { describe, expect, it } from 'vitest';
import { e2ePorts, expectConverged, explain, refOf, resultOf, useDemoWorld } from './helpers.js';

const { h, state } = useDemoWorld();
const ports = e2ePorts(state);
const memo = new PlanMemo();
let n = 0;
const run = (): Promise<PassReport> => reconcile(state, ports, { passId: `caching-${++n}`, dryRun: false, memo });

/** Calls the simulator answered since the last reset, by operation. */
function counted(): Record<string, number> {
  return Object.fromEntries(Object.entries(h.sim.control.counters()).map(([operation, count]) => [operation, count.calls]));
}

describe('a long-lived hub', () => {
  it('asks only for listings and aws-auth once clusters are known, and writes nothing', async () => {
    const first = await run();
    expect(first.counts.failed, explain(first)).toBe(0);
    await run(); // the first no-op pass
    h.sim.control.resetCounters();
    const warm = await run();
    expect(warm.counts.unchanged, explain(warm)).toBe(state.clusters.length);
    const calls = counted();
    const accounts = new Set(state.clusters.map((c) => c.account)).size;
    expect(calls).toEqual({
      'iam:ListRoles': expect.any(Number) as number,
      'eks:ListNodegroups': expect.any(Number) as number,
      'eks:ListFargateProfiles': expect.any(Number) as number,
      'k8s:get': state.clusters.length,
    });
    expect(calls['iam:ListRoles']).toBeGreaterThanOrEqual(accounts);
    expect(memo.hits).toBeGreaterThanOrEqual(state.clusters.length);
  });

  it('describes a cluster created again under the same name, with its new node groups, and writes its aws-auth', async () => {
    const staging = refOf(state, 'payments-staging');
    h.sim.control.recreateCluster(staging);
    h.sim.control.addNodegroup(staging, 'arm', 'arn:aws:iam::111122223333:role/payments-arm-node', 'AL2023_ARM_64_STANDARD');
    h.sim.control.resetCounters();
    const report = await run();
    expect(resultOf(report, 'payments-staging'), explain(report)).toMatchObject({ outcome: 'applied', created: true });
    expect(report.counts.failed, explain(report)).toBe(0);
    const calls = counted();
    expect(calls['eks:DescribeCluster']).toBe(1);
    expect(calls['eks:DescribeNodegroup']).toBe(1);
    expectConverged(h.sim, state, ['payments-staging']);
    const mapped = h.sim.control.readAwsAuth(staging)?.data['mapRoles'] ?? '';
    expect(mapped).toContain('arn:aws:iam::111122223333:role/payments-arm-node');

    h.sim.control.resetCounters();
    const next = await run();
    expect(resultOf(next, 'payments-staging').outcome).toBe('unchanged');
    expect(counted()['eks:DescribeCluster']).toBeUndefined();
  });
});
