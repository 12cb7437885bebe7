import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIamArn } from '../src/arn.js';
import { type Entry, entryKey } from '../src/aws-auth/entry.js';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { renderAwsAuth } from '../src/aws-auth/render.js';
import { parseDesiredState } from '../src/desired-state.js';
import { checkPreconditions, checkWrite, type WriteCheckInput } from '../src/guard.js';

const ARN = 'arn:aws:iam::111122223333:role';
const HUB = `${ARN}/eks-auth-hub-spoke`;
const admin: Entry = { kind: 'role', rolearn: `${ARN}/admin`, username: 'admin', groups: ['system:masters'] };
const node: Entry = {
  kind: 'role',
  rolearn: `${ARN}/node`,
  username: 'system:node:{{EC2PrivateDNSName}}',
  groups: ['system:bootstrappers', 'system:nodes'],
};
const hub: Entry = { kind: 'role', rolearn: HUB, username: 'hub', groups: ['system:masters'] };
const dev: Entry = { kind: 'role', rolearn: `${ARN}/dev`, username: 'dev', groups: ['dev'] };

function input(live: Entry[], next: Entry[], overrides: Partial<WriteCheckInput> = {}): WriteCheckInput {
  const nextKeys = new Set(next.map(entryKey));
  return {
    live,
    next,
    hubWritten: nextKeys,
    removed: live.filter((e) => !nextKeys.has(entryKey(e))),
    rendered: renderAwsAuth(next) as Record<string, string>,
    hubPrincipalArn: HUB,
    maxRemovalRatio: 0.5,
    keptBytes: 0,
    ...overrides,
  };
}
const rules = (refusals: { rule: string }[]): string[] => refusals.map((r) => r.rule);

describe('checkWrite', () => {
  it('passes a safe write', () => {
    expect(checkWrite(input([admin, node, hub], [admin, node, hub, dev]))).toEqual([]);
  });

  it('rule 4: refuses to drop or weaken a node mapping', () => {
    expect(rules(checkWrite(input([admin, node, hub, dev], [admin, hub, dev])))).toEqual(['node-mapping-removed']);
    const weakened: Entry = { ...node, groups: ['system:nodes'] } as Entry;
    expect(rules(checkWrite(input([admin, node, hub], [admin, weakened, hub])))).toEqual(['node-mapping-removed']);
    const renamed: Entry = { ...node, username: 'node' } as Entry;
    expect(rules(checkWrite(input([admin, node, hub], [admin, renamed, hub])))).toEqual(['node-mapping-removed']);
  });

  it("rule 4: the hub's node mapping may restore a hand-edited username, never drop a group or replace EKS's username", () => {
    const key = new Set([entryKey(node)]);
    const edited: Entry = { ...node, username: 'node-{{EC2PrivateDNSName}}', groups: ['system:nodes', 'extra'] } as Entry;
    const restored: Entry = { ...node, groups: ['system:bootstrappers', 'system:nodes', 'extra'] } as Entry;
    expect(checkWrite(input([admin, edited, hub], [admin, restored, hub], { nodeWritten: key }))).toEqual([]);
    // The same change from the file's own mappings (not node discovery) is refused.
    expect(rules(checkWrite(input([admin, edited, hub], [admin, restored, hub])))).toEqual(['node-mapping-removed']);
    // Restoring the username may not drop a live group.
    expect(rules(checkWrite(input([admin, edited, hub], [admin, node, hub], { nodeWritten: key })))).toEqual(['node-mapping-removed']);
    // A username EKS itself writes (here Fargate's) is never replaced, not even by node discovery.
    const fargate: Entry = { ...node, username: 'system:node:{{SessionName}}' } as Entry;
    expect(rules(checkWrite(input([admin, fargate, hub], [admin, node, hub], { nodeWritten: key })))).toEqual(['node-mapping-removed']);
  });

  it("rule 5: refuses to drop or weaken the hub's own mapping", () => {
    expect(rules(checkWrite(input([admin, node, hub, dev], [admin, node, dev])))).toEqual(['hub-mapping-removed']);
    const weaker: Entry = { ...hub, groups: ['viewers'] } as Entry;
    expect(rules(checkWrite(input([admin, node, hub], [admin, node, weaker])))).toEqual(['hub-mapping-removed']);
    // Matching is case-insensitive, like the authenticator's.
    expect(rules(checkWrite(input([admin, node, hub], [admin, node], { hubPrincipalArn: HUB.toUpperCase() })))).toContain(
      'hub-mapping-removed',
    );
    // Not live: nothing to keep.
    expect(checkWrite(input([admin, node], [admin, node, dev]))).toEqual([]);
  });

  it('rule 6: refuses removing more than the allowed share', () => {
    const live = [admin, dev, { ...dev, rolearn: `${ARN}/dev2` } as Entry, { ...dev, rolearn: `${ARN}/dev3` } as Entry];
    expect(checkWrite(input(live, [admin, dev]))).toEqual([]); // 2 of 4 = the limit
    expect(rules(checkWrite(input(live, [admin])))).toEqual(['mass-removal']);
    expect(rules(checkWrite(input(live, [admin, dev, live[2] as Entry], { maxRemovalRatio: 0 })))).toEqual(['mass-removal']);
    expect(checkWrite(input([], [admin]))).toEqual([]);
  });

  it('rule 7: refuses rendered data that does not read back as intended', () => {
    expect(rules(checkWrite(input([], [admin], { rendered: { mapRoles: '- rolearn: [\n' } })))).toContain('render-invalid');
    expect(rules(checkWrite(input([], [admin, dev], { rendered: renderAwsAuth([admin]) as Record<string, string> })))).toEqual([
      'render-invalid',
    ]);
    const withPath: Entry = { kind: 'role', rolearn: `${ARN}/team/x`, username: 'x', groups: [] };
    expect(rules(checkWrite(input([], [withPath])))).toContain('render-invalid');
    const badTemplate: Entry = { kind: 'role', rolearn: `${ARN}/x`, username: '{{Nope}}', groups: [] };
    expect(rules(checkWrite(input([], [badTemplate])))).toEqual(['render-invalid']);
    expect(rules(checkWrite(input([], [admin, { ...admin }])))).toContain('render-invalid');
  });

  it('rule 7: every role ARN the hub writes is a role ARN without path, whatever its form', () => {
    const refusesArn = (rolearn: string): boolean =>
      checkWrite(input([], [{ kind: 'role', rolearn, username: 'x', groups: ['g'] }])).some(
        (r) => r.message === `rendered rolearn ${rolearn} is not a role ARN without path`,
      );
    const plain = (value: string): boolean => {
      const parsed = parseIamArn(value);
      return parsed.ok && parsed.arn.type === 'role' && parsed.arn.path === '/';
    };
    const name64 = 'n'.repeat(64);
    for (const ok of [
      `${ARN}/admin`,
      'arn:aws-cn:iam::111122223333:role/a',
      'arn:aws-us-gov:iam::111122223333:role/A_b+c=d,e.f@g-h',
      `${ARN}/${name64}`,
    ]) {
      expect(refusesArn(ok)).toBe(false);
    }
    for (const refused of [
      `${ARN}/team/x`,
      `${ARN}/${name64}n`,
      `${ARN}/a!b`,
      `${ARN}/`,
      'arn:aws:iam::111122223333:user/admin',
      'arn:aws-iso:iam::111122223333:role/a',
      'arn:aws:iam::11112222333:role/a',
      'arn:aws:iam::111122223333:root',
      'arn:aws:sts::111122223333:assumed-role/a/b',
      'ARN:aws:iam::111122223333:role/a',
      `${ARN}/ä`,
    ]) {
      expect(refusesArn(refused)).toBe(true);
    }
    // Any ARN-like text: refused exactly when parseIamArn does not read a role without path.
    const piece = fc.constantFrom(
      'arn',
      'ARN',
      'aws',
      'aws-cn',
      'aws-us-gov',
      'aws-iso',
      'iam',
      'sts',
      '111122223333',
      '11112222333',
      'role',
      'user',
      'root',
      'a',
      'A_b',
      'x.y@z',
      'a!b',
      'ü',
      ' ',
      '',
      '/',
      ':',
      '::',
      '\n',
      'n'.repeat(64),
    );
    const arnish = fc.array(fc.oneof(piece, fc.constantFrom(':', '/')), { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));
    const shaped = fc
      .tuple(piece, piece, piece, fc.array(piece, { maxLength: 3 }))
      .map(([partition, account, kind, names]) => `arn:${partition}:iam::${account}:${kind}/${names.join('/')}`);
    fc.assert(
      fc.property(fc.oneof(arnish, shaped), (rolearn) => {
        expect(refusesArn(rolearn)).toBe(!plain(rolearn));
      }),
      { numRuns: 500 },
    );
  });

  it('rule 7: refuses a write the API server would refuse for its size, counting what the write keeps', () => {
    const rendered = renderAwsAuth([admin]) as Record<string, string>;
    const size = new TextEncoder().encode(rendered['mapRoles'] ?? '').length;
    expect(checkWrite(input([], [admin], { keptBytes: 1048576 - size }))).toEqual([]);
    const refused = checkWrite(input([], [admin], { keptBytes: 1048576 - size + 1 }));
    expect(refused).toEqual([
      {
        rule: 'render-invalid',
        message: `the written aws-auth would hold 1048577 bytes of data (mapRoles ${size}, kept keys and binaryData ${1048576 - size + 1}); the API server accepts at most 1048576`,
      },
    ]);
  });

  it('rule 7: entries kept verbatim from live are not held to the hub’s own rules', () => {
    const foreign: Entry = { kind: 'role', rolearn: `${ARN}/team/x`, username: 'x', groups: [] };
    expect(checkWrite(input([foreign], [foreign, admin], { hubWritten: new Set([entryKey(admin)]) }))).toEqual([]);
  });
});

describe('checkPreconditions', () => {
  const cluster = parseDesiredState(
    'apiVersion: eks-auth-hub/v1\nhub: {roleName: r}\nclusters: [{name: c, account: "111122223333", region: eu-west-1}]\n',
    'f',
  ).clusters[0];
  if (cluster === undefined) throw new Error('no cluster');
  const base = { cluster, incompleteListings: [], live: null, ownershipProblems: [], allowRepair: false };

  it('passes a valid cluster with complete listings and readable live data', () => {
    expect(checkPreconditions(base)).toEqual([]);
  });

  it('rule 1: refuses a cluster spec that is not valid, however it was built', () => {
    const bad = { ...cluster, mapRoles: [{ kind: 'rolearn' as const, rolearn: `${ARN}/a/b`, username: 'x', groups: [] }] };
    expect(rules(checkPreconditions({ ...base, cluster: bad }))).toEqual(['invalid-desired-state']);
    const badUser = { ...cluster, mapUsers: [{ userarn: 'arn:aws-cn:iam::111122223333:user/a', username: 'a\nb', groups: [] }] };
    expect(rules(checkPreconditions({ ...base, cluster: badUser }))).toEqual(['invalid-desired-state', 'invalid-desired-state']);
  });

  it('rule 2: refuses when a listing is incomplete', () => {
    expect(rules(checkPreconditions({ ...base, incompleteListings: ['ListRoles page 3: Throttling'] }))).toEqual(['incomplete-listing']);
  });

  it('rule 3: refuses live data it cannot read, unless repair is allowed', () => {
    const live = parseAwsAuth({ mapRoles: '- rolearn: [\n' });
    expect(rules(checkPreconditions({ ...base, live }))).toEqual(['live-unparseable']);
    expect(checkPreconditions({ ...base, live, allowRepair: true })).toEqual([]);
    expect(rules(checkPreconditions({ ...base, ownershipProblems: ['annotation unreadable'] }))).toEqual(['live-unparseable']);
  });

  it('rule 3: refuses a binaryData key named like a mapping key, even with repair allowed (binaryData is never dropped)', () => {
    expect(checkPreconditions({ ...base, binaryDataKeys: ['logo.png', 'MapRoles'] })).toEqual([]);
    const refused = checkPreconditions({ ...base, binaryDataKeys: ['logo.png', 'mapRoles'], allowRepair: true });
    expect(refused).toEqual([
      {
        rule: 'live-unparseable',
        message: expect.stringContaining('live aws-auth binaryData.mapRoles: the authenticator reads mapRoles only from data'),
      },
    ]);
  });
});
