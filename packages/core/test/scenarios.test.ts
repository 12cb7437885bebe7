/**
 * Scenario files: desired + IAM roles + node roles + observed aws-auth → expected plan.
 * Each file in ./scenarios is one case; see ./scenarios/README.md for the format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { type Entry, entrySubject } from '../src/aws-auth/entry.js';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { loadDesiredState } from '../src/desired-state.js';
import { plan } from '../src/plan.js';
import { SSO_PATH_PREFIX } from '../src/sso.js';
import type { IamRole, Listing, NodeRoleSource, ObservedAwsAuth } from '../src/world.js';

const here = dirname(fileURLToPath(import.meta.url));
const scenarioDir = join(here, 'scenarios');
const ACCOUNT = '111122223333';
const NOW = new Date('2026-01-02T03:04:05Z');

const roleSpec = z.union([z.string(), z.strictObject({ name: z.string(), path: z.string().optional(), account: z.string().optional() })]);
const nodeSpec = z.union([
  z.strictObject({ nodegroup: z.string(), role: z.string(), amiType: z.string().default('AL2023_x86_64_STANDARD') }),
  z.strictObject({ fargate: z.string(), role: z.string() }),
]);
const entrySpec = z.union([
  z.strictObject({ rolearn: z.string(), username: z.string(), groups: z.array(z.string()) }),
  z.strictObject({ userarn: z.string(), username: z.string(), groups: z.array(z.string()) }),
]);
const scenarioSchema = z.strictObject({
  description: z.string().min(10),
  cluster: z.record(z.string(), z.unknown()).default({}),
  defaults: z.record(z.string(), z.unknown()).optional(),
  guard: z.strictObject({ maxRemovalRatio: z.number() }).optional(),
  roles: z.array(roleSpec).default([]),
  rolesListing: z.string().optional(),
  nodes: z.array(nodeSpec).default([]),
  nodesListing: z.string().optional(),
  hubPrincipal: z.string().optional(),
  allowRepair: z.boolean().default(false),
  observed: z
    .strictObject({
      data: z.record(z.string(), z.string()).default({}),
      annotations: z.record(z.string(), z.string()).default({}),
      resourceVersion: z.string().default('1'),
      binaryData: z.record(z.string(), z.string()).optional(),
    })
    .nullable()
    .default(null),
  expect: z.strictObject({
    configErrors: z.array(z.string()).optional(),
    action: z.enum(['noop', 'write', 'blocked']).optional(),
    refusals: z.array(z.string()).default([]),
    added: z.array(z.string()).default([]),
    removed: z.array(z.string()).default([]),
    changed: z.array(z.string()).default([]),
    unresolved: z.array(z.string()).default([]),
    ambiguous: z.array(z.string()).default([]),
    warnings: z.array(z.string()).optional(),
    drift: z.boolean().optional(),
    mapRoles: z.array(entrySpec).optional(),
    mapUsers: z.array(entrySpec).optional(),
    mapAccounts: z.array(z.string()).optional(),
    otherData: z.record(z.string(), z.string()).optional(),
  }),
});
type Scenario = z.output<typeof scenarioSchema>;

function toRoles(specs: Scenario['roles']): IamRole[] {
  return specs.map((spec, i) => {
    const s = typeof spec === 'string' ? { name: spec } : spec;
    const path = s.path ?? SSO_PATH_PREFIX;
    return {
      roleName: s.name,
      path,
      arn: `arn:aws:iam::${s.account ?? ACCOUNT}:role${path}${s.name}`,
      roleId: `AROA${String(i).padStart(17, '0')}`,
      createDate: '2025-01-01T00:00:00Z',
    };
  });
}

function toNodes(specs: Scenario['nodes']): NodeRoleSource[] {
  return specs.map((spec) =>
    'nodegroup' in spec
      ? { kind: 'nodegroup', name: spec.nodegroup, roleArn: spec.role, amiType: spec.amiType }
      : { kind: 'fargate', name: spec.fargate, roleArn: spec.role },
  );
}

function listing<T>(items: T[], failure: string | undefined): Listing<T> {
  return failure === undefined ? { complete: true, items } : { complete: false, reason: failure };
}

const sorted = (values: readonly string[]): string[] => [...values].sort();
const subjects = (entries: readonly Entry[]): string[] => sorted(entries.map(entrySubject));

const files = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('planning scenarios', () => {
  it('has at least 30 scenario files', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  for (const file of files) {
    it(file.replace(/\.yaml$/, ''), () => {
      const scenario = scenarioSchema.parse(parse(readFileSync(join(scenarioDir, file), 'utf8')));
      const hubFile = {
        apiVersion: 'eks-auth-hub/v1',
        hub: { roleName: 'eks-auth-hub-spoke', ...(scenario.guard === undefined ? {} : { guard: scenario.guard }) },
        ...(scenario.defaults === undefined ? {} : { defaults: scenario.defaults }),
        clusters: [{ name: 'test', account: ACCOUNT, region: 'eu-west-1', ...scenario.cluster }],
      };
      const loaded = loadDesiredState(stringify(hubFile), `${file}#desired`);
      const want = scenario.expect;
      if (want.configErrors !== undefined) {
        expect(loaded.ok, 'the desired state should be refused').toBe(false);
        const messages = loaded.ok ? [] : loaded.error.issues.map((i) => `${i.path}: ${i.message}`);
        for (const fragment of want.configErrors) {
          expect(
            messages.some((m) => m.includes(fragment)),
            `an error mentioning ${JSON.stringify(fragment)} in ${JSON.stringify(messages)}`,
          ).toBe(true);
        }
        expect(messages).toHaveLength(want.configErrors.length);
        return;
      }
      if (!loaded.ok) throw loaded.error;
      const cluster = loaded.state.clusters[0];
      if (cluster === undefined) throw new Error('no cluster');
      const o = scenario.observed;
      const observed: ObservedAwsAuth | null =
        o === null
          ? null
          : {
              data: o.data,
              annotations: o.annotations,
              resourceVersion: o.resourceVersion,
              ...(o.binaryData === undefined ? {} : { binaryData: o.binaryData }),
            };
      const result = plan({
        cluster,
        roles: listing(toRoles(scenario.roles), scenario.rolesListing),
        nodes: listing(toNodes(scenario.nodes), scenario.nodesListing),
        observed,
        ...(scenario.hubPrincipal === undefined ? {} : { hubPrincipalArn: scenario.hubPrincipal }),
        guard: loaded.state.hub.guard,
        allowRepair: scenario.allowRepair,
        now: NOW,
      });

      expect(result.action).toBe(want.action);
      expect(sorted(result.refusals.map((r) => r.rule))).toEqual(sorted(want.refusals));
      expect(subjects(result.changes.added)).toEqual(sorted(want.added));
      expect(subjects(result.changes.removed)).toEqual(sorted(want.removed));
      expect(subjects(result.changes.changed.map((c) => c.after))).toEqual(sorted(want.changed));
      expect(sorted(result.unresolved)).toEqual(sorted(want.unresolved));
      expect(sorted(result.ambiguous.map((a) => a.permissionSet))).toEqual(sorted(want.ambiguous));
      if (want.drift !== undefined) expect(result.drift, 'drift').toBe(want.drift);
      if (want.warnings !== undefined) {
        expect(result.warnings).toHaveLength(want.warnings.length);
        for (const fragment of want.warnings)
          expect(
            result.warnings.some((w) => w.includes(fragment)),
            fragment,
          ).toBe(true);
      }

      if (result.action === 'blocked') {
        expect(result.refusals.length).toBeGreaterThan(0);
        return;
      }
      expect(result.refusals).toEqual([]);
      const data = result.data ?? {};
      const reread = parseAwsAuth(data);
      expect(reread.problems.filter((p) => p.severity === 'error')).toEqual([]);
      const strip = (e: Entry): unknown =>
        e.kind === 'role'
          ? { rolearn: e.rolearn, username: e.username, groups: [...e.groups] }
          : e.kind === 'user'
            ? { userarn: e.userarn, username: e.username, groups: [...e.groups] }
            : e.account;
      if (want.mapRoles !== undefined) expect(reread.mapRoles.map(strip)).toEqual(want.mapRoles);
      if (want.mapUsers !== undefined) expect(reread.mapUsers.map(strip)).toEqual(want.mapUsers);
      if (want.mapAccounts !== undefined) expect(reread.mapAccounts.map(strip)).toEqual(want.mapAccounts);
      if (want.otherData !== undefined) {
        for (const [key, value] of Object.entries(want.otherData)) expect(data[key]).toBe(value);
      }

      // Applying the plan and planning again must change nothing.
      if (result.action === 'write') {
        const again = plan({
          cluster,
          roles: listing(toRoles(scenario.roles), undefined),
          nodes: listing(toNodes(scenario.nodes), undefined),
          observed: {
            data,
            annotations: { ...(observed?.annotations ?? {}), ...result.annotations },
            resourceVersion: 'after',
            ...(observed?.binaryData === undefined ? {} : { binaryData: observed.binaryData }),
          },
          ...(scenario.hubPrincipal === undefined ? {} : { hubPrincipalArn: scenario.hubPrincipal }),
          guard: loaded.state.hub.guard,
          now: NOW,
        });
        expect(again.action).toBe('noop');
      }
    });
  }
});
