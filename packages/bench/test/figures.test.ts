/** The benchmark's yardsticks (pure): the minimum calls of a pass, the wall-time bound, ratios. */
import { describe, expect, it } from 'vitest';
import { minimumFor, ratio, serviceCalls, type WorldShape, wallBound } from '../src/figures.js';

const world: WorldShape = {
  accounts: [
    {
      id: 'a',
      ssoRoles: 40,
      clusters: [
        { id: 'a/1', nodegroups: 2, fargateProfiles: 1 },
        { id: 'a/2', nodegroups: 1, fargateProfiles: 0 },
      ],
    },
    { id: 'b', ssoRoles: 2500, clusters: [{ id: 'b/1', nodegroups: 150, fargateProfiles: 0 }] },
    { id: 'empty', ssoRoles: 10, clusters: [] },
  ],
};
const all = new Set(['a/1', 'a/2', 'b/1']);

describe('minimumFor', () => {
  it('counts a cold pass: sessions, one ListRoles page per 1,000 roles, every description, every write', () => {
    const m = minimumFor(world, { coldCache: true, changing: all, existing: new Set() });
    expect(m.calls).toEqual({
      'sts:AssumeRole': 2,
      'iam:ListRoles': 1 + 3,
      'eks:DescribeCluster': 3,
      'eks:ListNodegroups': 1 + 1 + 2,
      'eks:ListFargateProfiles': 3,
      'eks:DescribeNodegroup': 2 + 1 + 150,
      'eks:DescribeFargateProfile': 1,
      'k8s:get': 3,
      'k8s:create': 3,
    });
    expect(m.total).toBe(2 + 4 + 3 + 4 + 3 + 153 + 1 + 3 + 3);
    expect(m.writes).toBe(3);
    expect(m.safety).toEqual({ 'access-check': 3 });
    // b/1: AssumeRole, then the longest chain (3 ListRoles pages), then the write.
    expect(m.criticalPath).toBe(1 + 3 + 1);
  });

  it('counts a warm pass: listings and reads only', () => {
    const m = minimumFor(world, { coldCache: false, changing: new Set(), existing: all });
    expect(m.calls).toEqual({ 'iam:ListRoles': 4, 'eks:ListNodegroups': 4, 'eks:ListFargateProfiles': 3, 'k8s:get': 3 });
    expect([m.writes, m.safetyTotal]).toEqual([0, 0]);
    expect(m.criticalPath).toBe(3);
  });

  it('counts replacing writes with the history kept and the access checked as safety calls', () => {
    const m = minimumFor(
      { accounts: [world.accounts[0] ?? { id: '', ssoRoles: 0, clusters: [] }] },
      { coldCache: false, changing: new Set(['a/2']), existing: new Set(['a/1', 'a/2']) },
    );
    expect(m.calls['k8s:update']).toBe(1);
    expect(m.calls['k8s:create']).toBeUndefined();
    expect(m.safety).toEqual({ 'access-check': 1, 'history-read': 1, 'history-write': 1 });
    expect(m.criticalPath).toBe(2);
  });
});

describe('wallBound', () => {
  it('is the larger of the critical path and the calls spread over the concurrency', () => {
    expect(wallBound(6400, 4, 25, 32)).toEqual({ boundMs: 5000, criticalPathMs: 100, throughputMs: 5000 });
    expect(wallBound(10, 4, 25, 32)).toEqual({ boundMs: 100, criticalPathMs: 100, throughputMs: 7.8125 });
  });
});

describe('ratio and serviceCalls', () => {
  it('rounds to three places and has no ratio to zero', () => {
    expect(ratio(1100, 1000)).toBe(1.1);
    expect(ratio(2, 3)).toBe(0.667);
    expect(ratio(5, 0)).toBeNull();
  });

  it('adds the calls of one service', () => {
    expect(serviceCalls({ 'iam:ListRoles': 3, 'eks:ListNodegroups': 2, 'eks:DescribeCluster': 1, 'k8s:get': 4 }, 'eks')).toBe(3);
    expect(serviceCalls({ 'k8s:get': 4 }, 'iam')).toBe(0);
  });
});
