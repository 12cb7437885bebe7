/**
 * `pnpm bench` end to end on a small world (the built program, its simulators and children over real
 * sockets): the JSON line holds every side, the hub makes the minimum calls plus its safety calls,
 * and the libraries' floor makes exactly the hub's cold-pass calls.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Pass {
  readonly pass: string;
  readonly aws: Record<string, number>;
  readonly kube: Record<string, number>;
  readonly kubeByPurpose: Record<string, number>;
  readonly calls: number;
  readonly writes: { readonly awsAuth: number; readonly history: number };
  readonly outcomes: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly minimum: {
    readonly calls: Record<string, number>;
    readonly total: number;
    readonly safety: Record<string, number>;
    readonly safetyTotal: number;
  };
  readonly ratioToMinimum: number;
  readonly perCluster?: { readonly iamRatio: number; readonly writesRatio: number };
  readonly floor?: {
    readonly calls: number;
    readonly outcomes: Record<string, number>;
    readonly errors: Record<string, number>;
    readonly ratioToBound: number;
    readonly hubWallRatio: number;
  };
}

describe('pnpm bench', () => {
  it('runs the hub, the per-cluster model and the libraries’ floor on one world and reports them in its last line', {
    timeout: 180_000,
  }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [main, '--accounts', '2', '--clusters-per-account', '3', '--sso-roles', '4', '--latency-ms', '2', '--concurrency', '4', '--json'],
      { env: { ...process.env, AWS_PROFILE: '' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0] ?? '') as { world: { clusters: number }; passes: Pass[]; checks: Record<string, boolean> };
    expect(report.world.clusters).toBe(6);
    const [cold, warm, reassigned] = report.passes;
    if (cold === undefined || warm === undefined || reassigned === undefined) throw new Error('three passes expected');

    // The hub: the minimum, plus the access check after each write; nothing failed.
    const calls = { ...cold.aws, ...cold.kube };
    expect(calls).toEqual({
      ...cold.minimum.calls,
      'k8s:get': (cold.minimum.calls['k8s:get'] ?? 0) + (cold.minimum.safety['access-check'] ?? 0),
    });
    expect(cold.outcomes['applied']).toBe(6);
    expect(cold.errors).toEqual({});
    expect(warm.ratioToMinimum).toBe(1);
    expect(warm.writes).toEqual({ awsAuth: 0, history: 0 });
    expect(reassigned.writes.awsAuth).toBeGreaterThan(0);
    expect(reassigned.writes.history).toBe(reassigned.writes.awsAuth);

    // The per-cluster model ran beside it.
    expect(cold.perCluster?.iamRatio).toBeGreaterThan(0);
    expect(warm.perCluster?.writesRatio).toBe(0);

    // The floor: the same calls, every cluster written, on the cold pass only.
    expect(cold.floor).toMatchObject({ calls: cold.calls, outcomes: { applied: 6 }, errors: {} });
    expect(cold.floor?.ratioToBound).toBeGreaterThan(0);
    expect(cold.floor?.hubWallRatio).toBeGreaterThan(0);
    expect(warm.floor).toBeUndefined();

    expect(report.checks).toMatchObject({ warmPassWritesNothing: true, listRolesPerPassEqualsAccounts: true, noFailures: true });
    expect(Object.keys(report.checks)).toContain('coldFloorAtMost1_5xBound');
  });
});
