/**
 * Generated-input properties of planning and rendering:
 * - applying a plan and planning again gives no change (and the same data);
 * - planning is deterministic;
 * - rendered data always reads back, with the authenticator's rules, as the same entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../src/aws-auth/entry.js';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { renderAwsAuth } from '../src/aws-auth/render.js';
import { hashOf } from '../src/hash.js';
import type { ClusterSpec, DesiredRoleMapping } from '../src/model.js';
import { plan } from '../src/plan.js';
import type { IamRole, NodeRoleSource, ObservedAwsAuth } from '../src/world.js';

const ACCOUNT = '111122223333';
const ARN = `arn:aws:iam::${ACCOUNT}:role`;
const NOW = new Date('2026-01-02T03:04:05Z');

const roleName = fc.constantFrom('admin', 'dev', 'ci', 'ops', 'Admin', 'data.eng', 'a+b=c', 'node-a', 'node-b', 'pod-exec');
const permissionSet = fc.constantFrom('Admin', 'Admin_ReadOnly', 'ReadOnly', 'Data.Eng+Ops@X', 'Power=User', 'Missing');
const hex16 = fc.constantFrom('0123456789abcdef', 'fedcba9876543210', 'aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb');
/** Printable text that stresses YAML quoting without breaking the hub's rules. */
const name = fc
  .oneof(
    fc.constantFrom(
      'yes',
      'no',
      'on',
      'null',
      '~',
      '123',
      '0x1F',
      '- x',
      '#x',
      '*a',
      '&b',
      '!t',
      '%p',
      '@u',
      '`b',
      "a'b",
      'a"b',
      'a: b',
      '[x]',
      '{y}',
      'system:masters',
    ),
    fc.stringMatching(/^[a-zA-Z0-9:_.@-][a-zA-Z0-9 :_.@'"#&*!%-]{0,20}[a-zA-Z0-9:_.@-]$/),
    fc.constantFrom('ünïcödé', '日本語', 'emoji-🙂'),
  )
  .filter((s) => s.trim() === s && !s.includes('{{') && !s.includes('}}'));
const username = fc.oneof(
  name,
  name.map((n) => `${n}:{{SessionName}}`),
  fc.constant('{{AccountID}}-{{AccessKeyID}}'),
);
const groups = fc.uniqueArray(name, { maxLength: 3 });

const desiredRole: fc.Arbitrary<DesiredRoleMapping> = fc.oneof(
  fc.record({ kind: fc.constant('rolearn' as const), rolearn: roleName.map((n) => `${ARN}/${n}`), username, groups }),
  fc.record({ kind: fc.constant('permissionset' as const), permissionSet, username, groups }),
);

const clusterSpec: fc.Arbitrary<ClusterSpec> = fc
  .record({
    ownership: fc.constantFrom('full' as const, 'merge' as const),
    mapRoles: fc.uniqueArray(desiredRole, {
      maxLength: 6,
      selector: (r) => (r.kind === 'rolearn' ? r.rolearn.toLowerCase() : r.permissionSet),
    }),
    mapUsers: fc.uniqueArray(
      fc.record({
        userarn: fc.constantFrom('alice', 'bob', 'ops/carol').map((u) => `arn:aws:iam::${ACCOUNT}:user/${u}`),
        username,
        groups,
      }),
      { maxLength: 2, selector: (u) => u.userarn },
    ),
    mapAccounts: fc.uniqueArray(fc.constantFrom('111122223333', '444455556666', '012345678901'), { maxLength: 2 }),
    nodeRoles: fc.uniqueArray(fc.constantFrom(`${ARN}/karpenter`), { maxLength: 1 }),
  })
  .map((c) => {
    const content = { ...c };
    return {
      id: `${ACCOUNT}/eu-west-1/c`,
      name: 'c',
      account: ACCOUNT,
      region: 'eu-west-1',
      partition: 'aws' as const,
      ...content,
      desiredHash: hashOf(content),
    };
  });

const iamRoles: fc.Arbitrary<IamRole[]> = fc
  .uniqueArray(
    fc.record({
      set: permissionSet,
      suffix: hex16,
      path: fc.constantFrom('/aws-reserved/sso.amazonaws.com/', '/aws-reserved/sso.amazonaws.com/eu-west-1/', '/'),
    }),
    { maxLength: 8, selector: (r) => `${r.set}_${r.suffix}` },
  )
  .map((roles) =>
    roles.map((r) => {
      const n = `AWSReservedSSO_${r.set}_${r.suffix}`;
      return { roleName: n, path: r.path, arn: `${ARN}${r.path}${n}`, roleId: 'AROAX', createDate: '2025-01-01T00:00:00Z' };
    }),
  );

const nodeSources: fc.Arbitrary<NodeRoleSource[]> = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('nodegroup' as const),
      name: fc.constantFrom('ng-1', 'ng-2'),
      roleArn: fc.constantFrom(`${ARN}/node-a`, `${ARN}/eks/node-b`),
      amiType: fc.constantFrom('AL2023_x86_64_STANDARD', 'WINDOWS_CORE_2022_x86_64', 'BOTTLEROCKET_ARM_64'),
    }),
    fc.record({ kind: fc.constant('fargate' as const), name: fc.constant('fp'), roleArn: fc.constant(`${ARN}/pod-exec`) }),
  ),
  { maxLength: 3 },
);

const liveEntry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ kind: fc.constant('role' as const), rolearn: roleName.map((n) => `${ARN}/${n}`), username, groups }),
  fc.record({
    kind: fc.constant('role' as const),
    rolearn: fc.tuple(permissionSet, hex16).map(([s, h]) => `${ARN}/AWSReservedSSO_${s}_${h}`),
    username,
    groups,
  }),
  fc.record({
    kind: fc.constant('role' as const),
    rolearn: fc.constantFrom(`${ARN}/node-a`, `${ARN}/legacy-node`),
    username: fc.constant('system:node:{{EC2PrivateDNSName}}'),
    groups: fc.constant(['system:bootstrappers', 'system:nodes']),
  }),
  fc.record({
    kind: fc.constant('user' as const),
    userarn: fc.constantFrom('alice', 'dave').map((u) => `arn:aws:iam::${ACCOUNT}:user/${u}`),
    username,
    groups,
  }),
  fc.record({ kind: fc.constant('account' as const), account: fc.constantFrom('444455556666', '777788889999') }),
);

const observed: fc.Arbitrary<ObservedAwsAuth | null> = fc.option(
  fc
    .record({
      entries: fc.uniqueArray(liveEntry, {
        maxLength: 8,
        selector: (e) => (e.kind === 'role' ? e.rolearn.toLowerCase() : e.kind === 'user' ? e.userarn : e.account),
      }),
      owned: fc.boolean(),
    })
    .map(({ entries, owned }) => ({
      data: renderAwsAuth(entries) as Record<string, string>,
      annotations: owned
        ? {
            'eks-auth-hub.io/owned': JSON.stringify(
              entries.slice(0, 2).map((e) => (e.kind === 'role' ? `role:${e.rolearn.toLowerCase()}` : 'x')),
            ),
          }
        : {},
      resourceVersion: '7',
    })),
  { nil: null },
);

// Hundreds of generated cases each: CPU-bound, so on a busy machine they outlast vitest's 5 s default.
// The timeout only guards against a hang; it is no speed check.
describe('plan properties', { timeout: 60_000 }, () => {
  it('planning again after applying a plan changes nothing', () => {
    const actions = { write: 0, noop: 0, blocked: 0 };
    fc.assert(
      fc.property(clusterSpec, iamRoles, nodeSources, observed, (cluster, roles, nodes, live) => {
        const input = {
          cluster,
          roles: { complete: true as const, items: roles },
          nodes: { complete: true as const, items: nodes },
          guard: { maxRemovalRatio: 1 },
          now: NOW,
        };
        const first = plan({ ...input, observed: live });
        expect(plan({ ...input, observed: live })).toEqual(first); // deterministic
        actions[first.action] += 1;
        if (first.action !== 'write') return;
        const applied: ObservedAwsAuth = {
          data: first.data ?? {},
          annotations: { ...(live?.annotations ?? {}), ...first.annotations },
          resourceVersion: '8',
        };
        const second = plan({ ...input, observed: applied });
        expect(second.action).toBe('noop');
        expect(second.changes).toEqual({ added: [], removed: [], changed: [] });
        expect(second.data).toEqual(first.data);
      }),
      { numRuns: 400, seed: 20261128 },
    );
    // The property says something only if the generator reaches writes (and some refusals).
    expect(actions.write).toBeGreaterThan(200);
    expect(actions.blocked).toBeGreaterThan(0);
  });

  it('rendered data always reads back as the same entries', () => {
    fc.assert(
      fc.property(fc.uniqueArray(liveEntry, { maxLength: 10, selector: (e) => JSON.stringify(e).toLowerCase() }), (entries) => {
        // The authenticator keys by ARN without case: make the generated set unique that way.
        const seen = new Set<string>();
        const unique = entries.filter((e) => {
          const k = e.kind === 'role' ? `r${e.rolearn.toLowerCase()}` : e.kind === 'user' ? `u${e.userarn}` : `a${e.account}`;
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        const rendered = renderAwsAuth(unique);
        expect(renderAwsAuth(unique)).toEqual(rendered);
        const back = parseAwsAuth(rendered as Record<string, string>);
        expect(back.problems).toEqual([]);
        const order = (list: Entry[]): Entry[] => [
          ...list.filter((e) => e.kind === 'role'),
          ...list.filter((e) => e.kind === 'user'),
          ...list.filter((e) => e.kind === 'account'),
        ];
        expect([...back.mapRoles, ...back.mapUsers, ...back.mapAccounts]).toEqual(order(unique));
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
