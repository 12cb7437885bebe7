/** The benchmark's options and its world: parsing with named errors; the same world and picks for a seed. */

import { parseDesiredState } from '@eks-auth-hub/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, OptionsError, parseBenchOptions } from '../src/options.js';
import { benchWorld, desiredHubYaml, passSettings, reassignmentPicks, worldShape } from '../src/world.js';

describe('parseBenchOptions', () => {
  it('has the issue’s defaults and reads every option', () => {
    expect(parseBenchOptions([])).toEqual(DEFAULT_OPTIONS);
    expect(
      parseBenchOptions([
        '--accounts',
        '2000',
        '--clusters-per-account',
        '5',
        '--sso-roles',
        '40',
        '--latency-ms',
        '0',
        '--concurrency',
        '64',
        '--reassign-share',
        '0.05',
        '--seed',
        '7',
        '--hub-heap-mb',
        '256',
        '--no-per-cluster',
        '--no-floor',
        '--json',
      ]),
    ).toEqual({
      accounts: 2000,
      clustersPerAccount: 5,
      ssoRoles: 40,
      latencyMs: 0,
      concurrency: 64,
      reassignShare: 0.05,
      seed: 7,
      hubHeapMb: 256,
      perCluster: false,
      floor: false,
      json: true,
    });
    expect(parseBenchOptions(['--help'])).toBe('help');
  });

  it.each([
    [['--accounts', '0'], '--accounts must be a whole number from 1'],
    [['--accounts', '1.5'], '--accounts must be a whole number'],
    [['--concurrency', '300'], '--concurrency must be a whole number from 1 to 256'],
    [['--sso-roles', '1'], '--sso-roles must be a whole number from 2'],
    [['--reassign-share', '2'], '--reassign-share must be a number from 0 to 1'],
    [['--latency-ms', ''], '--latency-ms must be a whole number'],
    [['--nope'], "Unknown option '--nope'"],
  ])('refuses %j, naming the option', (argv, message) => {
    expect(() => parseBenchOptions(argv)).toThrow(OptionsError);
    expect(() => parseBenchOptions(argv)).toThrow(message);
  });
});

describe('the benchmark world', () => {
  const options = { accounts: 4, clustersPerAccount: 3, ssoRoles: 10, seed: 3, concurrency: 8 };
  const world = benchWorld(options);

  it('has no aws-auth anywhere, and a desired file that maps every permission set on every cluster', () => {
    expect((world.accounts ?? []).flatMap((a) => (a.clusters ?? []).filter((c) => c.awsAuth !== undefined))).toEqual([]);
    const state = parseDesiredState(desiredHubYaml(world, options), 'hub.yaml');
    expect(state.clusters).toHaveLength(12);
    expect(state.hub.concurrency).toBe(8);
    expect(state.clusters[0]?.mapRoles.map((m) => (m.kind === 'permissionset' ? m.permissionSet : m.rolearn))).toHaveLength(10);
    expect(worldShape(world).accounts.map((a) => [a.ssoRoles, a.clusters.length])).toEqual([
      [10, 3],
      [10, 3],
      [10, 3],
      [10, 3],
    ]);
  });

  it('picks the same permission sets for the same seed, at least one, and rewrites the clusters of their accounts', () => {
    const picks = reassignmentPicks(world, 0.05, 3);
    expect(picks).toEqual(reassignmentPicks(benchWorld(options), 0.05, 3));
    expect(picks).toHaveLength(2); // 5% of 40 pairs
    expect(new Set(picks.map((p) => `${p.account}/${p.permissionSet}`)).size).toBe(2);
    expect(reassignmentPicks(world, 0.001, 3)).toHaveLength(1);
    expect(reassignmentPicks(world, 0, 3)).toEqual([]);
    const settings = passSettings(worldShape(world), picks);
    expect(settings.cold.changing.size).toBe(12);
    expect(settings.warm.changing.size).toBe(0);
    expect(settings.reassigned.changing.size).toBe(3 * new Set(picks.map((p) => p.account)).size);
  });
});
