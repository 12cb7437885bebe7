/** The reconcile pass against in-memory ports that behave like the real backends (versions, conflicts, failures). */
import { InMemoryAwsAuthStore, inMemoryPorts, ssoRole } from '@eks-auth-hub/core/testing';
import { describe, expect, it } from 'vitest';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { parseDesiredState } from '../src/desired-state.js';
import { ConflictError, HubError } from '../src/errors.js';
import { notReplaced } from '../src/history.js';
import type { DesiredState } from '../src/model.js';
import { PlanMemo } from '../src/plan-memo.js';
import type { AwsAuthStore, Ports } from '../src/ports.js';
import { reconcile } from '../src/reconcile/pass.js';
import { rollbackCluster } from '../src/reconcile/rollback.js';
import type { ClusterEndpoint, ClusterRef, NodeRoleSource } from '../src/world.js';

const A = '111122223333';
const B = '444455556666';

/** The file's settings and defaults, up to its clusters. */
const HUB_HEAD = `apiVersion: eks-auth-hub/v1
hub: { roleName: spoke, concurrency: 2, accountConcurrency: 1 }
defaults:
  mapRoles:
    - permissionset: Admin
      username: admin
      groups: [system:masters]
clusters:
`;

function hubFile(extra = ''): string {
  return `${HUB_HEAD}  - { name: a1, account: "${A}", region: eu-west-1 }
  - { name: a2, account: "${A}", region: eu-west-1 }
  - { name: a3, account: "${A}", region: us-east-1 }
  - { name: b1, account: "${B}", region: eu-west-1 }
${extra}`;
}

function fakePorts(
  options: { refused?: string[]; listingFails?: string[]; apiOnly?: string[]; nodes?: Record<string, NodeRoleSource[]> } = {},
  fleet: DesiredState = state,
) {
  const fakes = inMemoryPorts();
  for (const account of new Set(fleet.clusters.map((c) => c.account)))
    fakes.roles.put(account, [ssoRole(account, 'Admin', '0123456789abcdef')]);
  for (const c of fleet.clusters) {
    fakes.clusters.put(c, {
      authenticationMode: options.apiOnly?.includes(c.name) ? 'API' : 'API_AND_CONFIG_MAP',
      nodeRoles: options.nodes?.[c.name] ?? [],
    });
  }
  for (const account of options.refused ?? []) fakes.sessions.refuse(account);
  for (const account of options.listingFails ?? []) fakes.roles.failListing(account);
  const calls = {
    get open(): number {
      return fakes.sessions.opened.length;
    },
    list: fakes.roles.listed,
    inFlightPerAccount: new Map<string, number>(),
    maxPerAccount: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  const store = fakes.awsAuth;
  const ports: Ports = {
    ...fakes,
    clusters: {
      // Counts the describes in flight, overall and per account, each held for a turn of the event loop.
      async describe(c) {
        const n = (calls.inFlightPerAccount.get(c.account) ?? 0) + 1;
        calls.inFlightPerAccount.set(c.account, n);
        calls.maxPerAccount = Math.max(calls.maxPerAccount, n);
        calls.inFlight += 1;
        calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        calls.inFlightPerAccount.set(c.account, n - 1);
        calls.inFlight -= 1;
        return fakes.clusters.describe(c);
      },
      nodeRoles: (c) => fakes.clusters.nodeRoles(c),
      forget: (c) => fakes.clusters.forget(c),
    },
  };
  return { ports, store, calls };
}

const state = parseDesiredState(hubFile(), 'hub.yaml');

describe('reconcile', () => {
  it('converges every cluster, entering and listing each account once, within the concurrency bounds', async () => {
    const { ports, store, calls } = fakePorts();
    const report = await reconcile(state, ports, { passId: 'p1', dryRun: false });
    expect(report.counts).toEqual({ unchanged: 0, applied: 4, planned: 0, blocked: 0, failed: 0 });
    expect(report.clusters.map((c) => c.name)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(calls.open).toBe(2);
    expect(calls.list.sort()).toEqual([A, B]);
    expect(calls.maxPerAccount).toBe(1);
    expect(calls.maxInFlight).toBeLessThanOrEqual(2);
    const a1 = store.objects.get(`${A}/eu-west-1/a1`);
    expect(parseAwsAuth(a1?.data ?? {}).mapRoles.map((r) => r.rolearn)).toEqual([
      `arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0123456789abcdef`,
    ]);
    expect(report.clusters[0]).toMatchObject({ outcome: 'applied', created: true, attempts: 1 });
    expect(report.durationMs).toBeGreaterThan(0);

    const again = await reconcile(state, ports, { passId: 'p2', dryRun: false });
    expect(again.counts.unchanged).toBe(4);
    expect(store.writes).toBe(4);
  });

  it('plans without writing in dry-run', async () => {
    const { ports, store } = fakePorts();
    const report = await reconcile(state, ports, { passId: 'p', dryRun: true });
    expect(report.counts.planned).toBe(4);
    expect(report.dryRun).toBe(true);
    expect(store.writes).toBe(0);
    expect(report.clusters[0]?.changes.added).toHaveLength(1);
  });

  it('keeps a refused account to itself', async () => {
    const { ports, store } = fakePorts({ refused: [A] });
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false });
    expect(report.clusters.map((c) => [c.name, c.outcome])).toEqual([
      ['a1', 'failed'],
      ['a2', 'failed'],
      ['a3', 'failed'],
      ['b1', 'applied'],
    ]);
    expect(report.clusters[0]?.error).toEqual({
      kind: 'terminal',
      code: 'aws.access-denied',
      message: `sts:AssumeRole in ${A}: AccessDenied`,
    });
    expect(store.writes).toBe(1);
  });

  it('blocks every cluster of an account whose listing failed, without reading or writing them', async () => {
    const { ports, store } = fakePorts({ listingFails: [A] });
    store.put(`${A}/eu-west-1/a1`, { mapRoles: '- rolearn: arn:aws:iam::111122223333:role/x\n  username: x\n' });
    const before = store.objects.get(`${A}/eu-west-1/a1`);
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false });
    expect(report.clusters.filter((c) => c.account === A).map((c) => c.outcome)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(report.clusters[0]?.refusals.map((r) => r.rule)).toEqual(['incomplete-listing']);
    expect(store.objects.get(`${A}/eu-west-1/a1`)).toEqual(before);
    expect(report.counts.applied).toBe(1);
  });

  it('tells onResult each result as its cluster finishes, and the report holds what onResult returned, in file order', async () => {
    const { ports, store } = fakePorts({ refused: [B] });
    const seen: string[] = [];
    const report = await reconcile(state, ports, {
      passId: 'p',
      dryRun: false,
      onResult: (r) => {
        // Told once the cluster is done: what it wrote is already there.
        if (r.outcome === 'applied') expect(store.objects.has(`${r.account}/${r.region}/${r.name}`)).toBe(true);
        seen.push(r.name);
        return { clusterId: r.clusterId, outcome: r.outcome, added: r.changes.added.length, code: r.error?.code ?? null };
      },
    });
    expect([...seen].sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(report.clusters).toEqual([
      { clusterId: `${A}/eu-west-1/a1`, outcome: 'applied', added: 1, code: null },
      { clusterId: `${A}/eu-west-1/a2`, outcome: 'applied', added: 1, code: null },
      { clusterId: `${A}/us-east-1/a3`, outcome: 'applied', added: 1, code: null },
      { clusterId: `${B}/eu-west-1/b1`, outcome: 'failed', added: 0, code: 'aws.access-denied' },
    ]);
    expect(report.counts).toEqual({ unchanged: 0, applied: 3, planned: 0, blocked: 0, failed: 1 });
  });

  it('keeps few accounts open at once: an account is entered when its clusters can soon start, not all at the start of the pass', async () => {
    const accounts = Array.from({ length: 24 }, (_, i) => String(100_000_000_000 + i));
    const many = parseDesiredState(
      `${HUB_HEAD}${accounts.map((a) => `  - { name: c${a}, account: "${a}", region: eu-west-1 }\n  - { name: d${a}, account: "${a}", region: eu-west-1 }`).join('\n')}
`,
      'hub.yaml',
    );
    const { ports, calls } = fakePorts({}, many);
    // An account is open from its role listing until its last cluster is done.
    const pending = new Map<string, number>();
    let open = 0;
    let maxOpen = 0;
    const listSsoRoles = ports.roles.listSsoRoles.bind(ports.roles);
    ports.roles.listSsoRoles = async (account, partition) => {
      pending.set(account, 2);
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      return listSsoRoles(account, partition);
    };
    const report = await reconcile(many, ports, {
      passId: 'p',
      dryRun: false,
      onResult: (r) => {
        const left = (pending.get(r.account) ?? 0) - 1;
        pending.set(r.account, left);
        if (left === 0) open -= 1;
        return r;
      },
    });
    expect(report.counts.applied).toBe(48);
    expect(calls.list).toHaveLength(24);
    expect(maxOpen).toBeGreaterThanOrEqual(2);
    expect(maxOpen).toBeLessThanOrEqual(2 * many.hub.concurrency);
  });

  it('re-reads and re-plans after a write conflict', async () => {
    const { ports, store } = fakePorts();
    store.put(`${A}/eu-west-1/a1`, { mapRoles: '[]' });
    let interfered = false;
    store.beforeWrite = (key) => {
      if (key === `${A}/eu-west-1/a1` && !interfered) {
        interfered = true;
        store.put(key, {
          mapRoles: [
            '- rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef',
            '  username: admin',
            '  groups: [system:masters]',
            '- rolearn: arn:aws:iam::111122223333:role/other',
            '  username: other',
            '  groups: [g]',
            '',
          ].join('\n'),
        });
      }
    };
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false, only: ['a1'] });
    expect(report.clusters).toHaveLength(1);
    expect(report.clusters[0]).toMatchObject({ outcome: 'applied', attempts: 2 });
    // The second plan saw the other writer's entry and removed it (full ownership).
    expect(report.clusters[0]?.changes.removed.map((e) => (e.kind === 'role' ? e.rolearn : ''))).toEqual([
      'arn:aws:iam::111122223333:role/other',
    ]);
  });

  it('gives up after a bounded number of conflicts, as a transient failure', async () => {
    const { ports, store } = fakePorts();
    store.put(`${A}/eu-west-1/a1`, { mapRoles: '[]' });
    store.beforeWrite = (key) => store.put(key, { mapRoles: '[]' });
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false, only: ['a1'], maxConflictRetries: 2 });
    expect(report.clusters[0]).toMatchObject({ outcome: 'failed', attempts: 3, error: { kind: 'transient', code: 'kube.conflict' } });
  });

  it('fails a cluster in authentication mode API with a message saying why', async () => {
    const { ports } = fakePorts({ apiOnly: ['a2'] });
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false });
    expect(report.clusters[1]).toMatchObject({ outcome: 'failed', error: { kind: 'user', code: 'cluster.api-only' } });
    expect(report.counts.applied).toBe(3);
  });

  it('blocks a cluster whose node listing failed', async () => {
    const { ports, store } = fakePorts();
    ports.clusters.nodeRoles = async (c) => {
      if (c.name === 'b1') throw new HubError('transient', 'aws.unavailable', 'eks:ListNodegroups: 503');
      return [];
    };
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false });
    expect(report.clusters[3]).toMatchObject({ outcome: 'blocked' });
    expect(report.clusters[3]?.refusals[0]?.message).toContain('eks:ListNodegroups: 503');
    expect(store.objects.has(`${B}/eu-west-1/b1`)).toBe(false);
  });

  it('keeps annotations it does not own', async () => {
    const { ports, store } = fakePorts();
    store.put(`${A}/eu-west-1/a1`, { mapRoles: '[]' }, { 'kubectl.kubernetes.io/last-applied-configuration': '{}' });
    await reconcile(state, ports, { passId: 'p', dryRun: false, only: ['a1'] });
    expect(Object.keys(store.objects.get(`${A}/eu-west-1/a1`)?.annotations ?? {}).sort()).toEqual([
      'eks-auth-hub.io/applied-at',
      'eks-auth-hub.io/data-hash',
      'eks-auth-hub.io/desired-hash',
      'eks-auth-hub.io/owned',
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);
  });

  it('notices a hand edit since its last write as drift, and sets it back', async () => {
    const { ports, store } = fakePorts();
    await reconcile(state, ports, { passId: 'p1', dryRun: false, only: ['a1'] });
    const key = `${A}/eu-west-1/a1`;
    const written = store.objects.get(key);
    if (written === undefined) throw new Error('not written');
    expect((await reconcile(state, ports, { passId: 'p2', dryRun: false, only: ['a1'] })).clusters[0]).toMatchObject({
      outcome: 'unchanged',
      drift: false,
    });
    store.put(
      key,
      {
        mapRoles: `${written.data['mapRoles'] ?? ''}- rolearn: arn:aws:iam::111122223333:role/intruder\n  username: intruder\n  groups: [system:masters]\n`,
      },
      written.annotations,
    );
    const report = await reconcile(state, ports, { passId: 'p3', dryRun: false, only: ['a1'] });
    expect(report.clusters[0]).toMatchObject({ outcome: 'applied', drift: true });
    expect(store.objects.get(key)?.data).toEqual(written.data);
  });

  it('fails a cluster whose aws-auth is immutable when it has something to write, writing nothing (not even the history)', async () => {
    const { ports, store } = fakePorts();
    const key = `${A}/eu-west-1/a1`;
    store.put(key, { mapRoles: '[]' }, {}, true);
    for (const dryRun of [true, false]) {
      const report = await reconcile(state, ports, { passId: 'p', dryRun, only: ['a1'] });
      expect(report.clusters[0]).toMatchObject({
        outcome: 'failed',
        changes: { added: [], removed: [], changed: [] },
        error: {
          kind: 'user',
          code: 'kube.immutable',
          message: expect.stringContaining('kube-system/aws-auth of a1 is immutable (immutable: true)'),
        },
      });
    }
    expect(store.writes).toBe(0);
    expect(store.histories.size).toBe(0);
    expect(store.objects.get(key)?.data).toEqual({ mapRoles: '[]' });
  });

  it('leaves an immutable aws-auth that already holds what the file asks for unchanged', async () => {
    const { ports, store } = fakePorts();
    await reconcile(state, ports, { passId: 'p1', dryRun: false, only: ['a1'] });
    const key = `${A}/eu-west-1/a1`;
    const written = store.objects.get(key);
    store.put(key, written?.data ?? {}, written?.annotations ?? {}, true);
    const report = await reconcile(state, ports, { passId: 'p2', dryRun: false, only: ['a1'] });
    expect(report.clusters[0]?.outcome).toBe('unchanged');
  });

  it('refuses to roll back an immutable aws-auth, writing nothing', async () => {
    const { ports, store } = fakePorts();
    const key = `${A}/eu-west-1/a1`;
    store.put(key, {
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0123456789abcdef\n  username: old-admin\n  groups: [system:masters]\n`,
    });
    await reconcile(state, ports, { passId: 'p1', dryRun: false, only: ['a1'] });
    const written = store.objects.get(key);
    store.put(key, written?.data ?? {}, written?.annotations ?? {}, true);
    const writes = store.writes;
    const result = await rollbackCluster(state, ports, 'a1', 1, 'rb');
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'kube.immutable' } });
    expect(store.writes).toBe(writes);
    expect(store.histories.get(key)?.entries).toHaveLength(1);
    // The same rollback goes through once the object is no longer immutable.
    store.put(key, written?.data ?? {}, written?.annotations ?? {});
    expect((await rollbackCluster(state, ports, 'a1', 1, 'rb')).outcome).toBe('applied');
  });

  it('keeps the replaced version in the history before every write, newest first, at most 10', async () => {
    const { ports, store } = fakePorts();
    const key = `${A}/eu-west-1/a1`;
    store.put(key, { mapRoles: '[]', notes: 'kept' });
    for (let i = 0; i < 12; i++) {
      // Someone edits it between passes: every pass writes, and keeps what it replaced.
      const current = store.objects.get(key);
      store.put(
        key,
        {
          ...(current?.data ?? {}),
          mapRoles: `- rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef\n  username: admin-${i}\n  groups: [system:masters]\n`,
        },
        current?.annotations,
      );
      const report = await reconcile(state, ports, { passId: `p${i}`, dryRun: false, only: ['a1'] });
      expect(report.clusters[0]?.outcome).toBe('applied');
    }
    const history = store.histories.get(key)?.entries ?? [];
    expect(history).toHaveLength(10);
    expect(history[0]?.passId).toBe('p11');
    expect(history[0]?.data['mapRoles']).toContain('username: admin-11');
    // Only the mapping keys are kept; other data keys are never changed by the hub.
    expect(history[0]?.data).not.toHaveProperty('notes');
    expect(store.objects.get(key)?.data['notes']).toBe('kept');
    expect(history[9]?.passId).toBe('p2');
  });

  it('detects that its own write locked it out, and restores the previous data through the recovery principal', async () => {
    const { ports, store } = fakePorts();
    const key = `${A}/eu-west-1/a1`;
    // The guard protects the role the file names (spoke); the hub really authenticates as real-spoke,
    // which the file does not map: the guard cannot see this write lock the hub out.
    const realSpoke = 'arn:aws:iam::111122223333:role/real-spoke';
    const before = {
      mapRoles: `- rolearn: ${realSpoke}\n  username: hub\n  groups: [system:masters]\n- rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef\n  username: admin\n  groups: [system:masters]\n`,
    };
    store.put(key, before);
    store.principal = realSpoke;
    const recovery = new InMemoryAwsAuthStore();
    // The recovery principal sees the same objects (it is the same cluster).
    Object.assign(recovery, { objects: store.objects });
    const report = await reconcile(state, { ...ports, recovery }, { passId: 'p', dryRun: false, only: ['a1'] });
    expect(report.clusters[0]).toMatchObject({ outcome: 'failed', error: { code: 'hub.lockout' }, lockout: { restored: true } });
    expect(store.objects.get(key)?.data).toEqual(before);

    // Without a recovery principal: reported, not restored.
    store.put(key, before);
    const unrecovered = await reconcile(state, ports, { passId: 'p2', dryRun: false, only: ['a1'] });
    expect(unrecovered.clusters[0]).toMatchObject({ outcome: 'failed', lockout: { restored: false } });
    expect(unrecovered.clusters[0]?.lockout?.message).toContain('eks-auth-hub-history');
  });
});

describe('reconcile across passes', () => {
  /**
   * A directory that keeps descriptions like the EKS adapter does, for clusters whose endpoint can
   * change (deleted and created again), and a store that answers only at a cluster's current endpoint.
   */
  function keeping(ports: Ports, store: InMemoryAwsAuthStore) {
    const current = new Map<string, string>();
    const kept = new Map<string, ClusterEndpoint>();
    const seen = { describes: 0, forgets: 0 };
    const endpointOf = (c: ClusterRef): string => current.get(c.name) ?? `https://${c.name}.v1`;
    const clusters = {
      async describe(c: ClusterRef): Promise<ClusterEndpoint> {
        const k = kept.get(c.name);
        if (k !== undefined) return { ...k, cached: true };
        seen.describes += 1;
        const fresh: ClusterEndpoint = { endpoint: endpointOf(c), caPem: 'PEM', authenticationMode: 'API_AND_CONFIG_MAP' };
        kept.set(c.name, fresh);
        return fresh;
      },
      nodeRoles: async () => [],
      forget(c: ClusterRef): void {
        seen.forgets += 1;
        kept.delete(c.name);
      },
    };
    const awsAuth: AwsAuthStore = {
      read: async (c, e) => {
        if (e.endpoint !== endpointOf(c))
          throw new HubError('transient', 'kube.network', `read kube-system/aws-auth of ${c.name}: getaddrinfo ENOTFOUND`);
        return store.read(c);
      },
      write: (c, e, w) => store.write(c, e, w),
      verify: (c) => store.verify(c),
      readHistory: (c) => store.readHistory(c),
      writeHistory: (c, e, entries, rv) => store.writeHistory(c, e, entries, rv),
    };
    return { ports: { ...ports, clusters, awsAuth }, current, seen };
  }

  it('asks EKS again when a kept endpoint no longer answers, and carries on with the new one', async () => {
    const base = fakePorts();
    const { ports, current, seen } = keeping(base.ports, base.store);
    expect((await reconcile(state, ports, { passId: 'p1', dryRun: false })).counts.applied).toBe(4);
    expect(seen).toEqual({ describes: 4, forgets: 0 });

    current.set('a2', 'https://a2.v2'); // a2 deleted and created again: a new endpoint
    base.store.objects.delete(`${A}/eu-west-1/a2`); // the new cluster has no aws-auth yet
    const report = await reconcile(state, ports, { passId: 'p2', dryRun: false });
    expect(report.clusters.map((c) => [c.name, c.outcome])).toEqual([
      ['a1', 'unchanged'],
      ['a2', 'applied'],
      ['a3', 'unchanged'],
      ['b1', 'unchanged'],
    ]);
    expect(seen).toEqual({ describes: 5, forgets: 1 });
  });

  it('keeps the first answer when EKS gives the same endpoint again', async () => {
    const base = fakePorts();
    const { ports, seen } = keeping(base.ports, base.store);
    await reconcile(state, ports, { passId: 'p1', dryRun: false });
    base.store.objects.delete(`${A}/eu-west-1/a1`); // deleted by hand: the cluster is the same
    const report = await reconcile(state, ports, { passId: 'p2', dryRun: false });
    expect(report.clusters[0]).toMatchObject({ name: 'a1', outcome: 'applied', created: true });
    expect(seen).toEqual({ describes: 5, forgets: 1 });
  });

  it('does not ask EKS twice in one pass for a cluster it described in that pass', async () => {
    const base = fakePorts();
    const { ports, seen } = keeping(base.ports, base.store);
    const report = await reconcile(state, ports, { passId: 'p1', dryRun: false });
    expect(report.clusters.every((c) => c.created)).toBe(true);
    expect(seen).toEqual({ describes: 4, forgets: 0 });
  });

  it('reuses a no-op plan only while every input is the same', async () => {
    let suffix = '0123456789abcdef';
    const base = fakePorts();
    const ports: Ports = { ...base.ports, roles: { listSsoRoles: async (account) => [ssoRole(account, 'Admin', suffix)] } };
    const memo = new PlanMemo();
    const pass = async (id: string): Promise<Record<string, number>> =>
      (await reconcile(state, ports, { passId: id, dryRun: false, memo })).counts;

    expect(await pass('p1')).toMatchObject({ applied: 4 });
    expect([memo.hits, memo.size]).toEqual([0, 4]); // what was written is remembered as the next no-op
    const remembered = await reconcile(state, ports, { passId: 'p2', dryRun: false, memo });
    expect(remembered.counts).toMatchObject({ unchanged: 4 });
    expect(memo.hits).toBe(4);
    // The same report as planning afresh.
    const fresh = await reconcile(state, ports, { passId: 'p2', dryRun: false });
    const strip = (r: typeof fresh): unknown => r.clusters.map(({ durationMs: _d, ...rest }) => rest);
    expect(strip(remembered)).toEqual(strip(fresh));

    suffix = 'fedcba9876543210'; // reassigned (a new role suffix): the listing differs, so every plan is made again
    expect(await pass('p4')).toMatchObject({ applied: 4 });
    expect(memo.hits).toBe(4);
    expect(await pass('p5')).toMatchObject({ unchanged: 4 });
    expect(memo.hits).toBe(8);

    // A hand edit changes the live data: planned again (and set back).
    const key = `${A}/eu-west-1/a1`;
    const live = base.store.objects.get(key);
    base.store.put(
      key,
      { ...live?.data, mapUsers: '- userarn: arn:aws:iam::111122223333:user/x\n  username: x\n' },
      { ...live?.annotations },
    );
    const hits = memo.hits;
    const report = await reconcile(state, ports, { passId: 'p6', dryRun: false, memo });
    expect(report.clusters.map((c) => c.outcome)).toEqual(['applied', 'unchanged', 'unchanged', 'unchanged']);
    expect(report.clusters[0]?.drift).toBe(true);
    expect(memo.hits).toBe(hits + 3);
    expect(await pass('p7')).toMatchObject({ unchanged: 4 });
    expect(memo.hits).toBe(hits + 7);
  });

  it('bounds the memo', () => {
    const memo = new PlanMemo(2);
    const noop = {
      action: 'noop',
      unresolved: [],
      ambiguous: [],
      warnings: ['w'],
      desiredHash: 'h',
      drift: false,
    } as unknown as Parameters<PlanMemo['remember']>[2];
    memo.remember('a', 'k', noop);
    memo.remember('b', 'k', noop);
    memo.remember('c', 'k', noop);
    expect(memo.size).toBe(2);
    expect(memo.get('a', 'k')).toBeUndefined();
    expect(memo.get('c', 'k')).toEqual({ unresolved: [], ambiguous: [], warnings: ['w'], desiredHash: 'h', drift: false });
    expect(memo.get('c', 'other')).toBeUndefined();
    memo.remember('c', 'k', { ...noop, action: 'write' });
    expect(memo.get('c', 'k')).toBeUndefined();
    expect(() => new PlanMemo(0)).toThrow(RangeError);
  });

  it('keeps per cluster only what the inputs do not give back: no data, no annotations, no resolutions, one shared empty list', () => {
    const memo = new PlanMemo();
    const plan = (clusterId: string): Parameters<PlanMemo['remember']>[2] => ({
      clusterId,
      action: 'noop',
      create: false,
      changes: { added: [], removed: [], changed: [] },
      data: { mapRoles: 'x'.repeat(10_000) },
      annotations: { a: 'b' },
      resourceVersion: '7',
      resolutions: [
        {
          status: 'resolved',
          permissionSet: 'Admin',
          roleArn: 'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef',
          roleName: 'AWSReservedSSO_Admin_0123456789abcdef',
        },
      ],
      unresolved: [],
      ambiguous: [],
      refusals: [],
      warnings: [],
      desiredHash: 'h',
      drift: false,
    });
    memo.remember('a', 'k', plan('a'));
    memo.remember('b', 'k', plan('b'));
    const a = memo.get('a', 'k');
    const b = memo.get('b', 'k');
    expect(Object.keys(a ?? {}).sort()).toEqual(['ambiguous', 'desiredHash', 'drift', 'unresolved', 'warnings']);
    expect(a?.unresolved).toBe(b?.unresolved);
    expect(a?.warnings).toBe(b?.ambiguous);
  });
});

describe('the pass deadline', () => {
  /** Ports whose calls in `hangs` never answer and ignore the signal they are given; the deadline is reached when `abortAfter` of them hang. */
  function hanging(hangs: { accounts?: string[]; clusters?: string[] }, abortAfter: number, reason?: unknown) {
    const made = fakePorts();
    const deadline = new AbortController();
    const signals: (AbortSignal | undefined)[] = [];
    let hung = 0;
    const hang = (signal: AbortSignal | undefined): Promise<never> => {
      signals.push(signal);
      hung += 1;
      if (hung === abortAfter) deadline.abort(reason);
      return new Promise<never>(() => undefined);
    };
    const { sessions, clusters } = made.ports;
    const ports: Ports = {
      ...made.ports,
      sessions: {
        open: (account, partition, signal) =>
          hangs.accounts?.includes(account) === true ? hang(signal) : sessions.open(account, partition),
      },
      clusters: { ...clusters, describe: (c, signal) => (hangs.clusters?.includes(c.name) === true ? hang(signal) : clusters.describe(c)) },
    };
    return { ports, store: made.store, deadline, signals };
  }

  it('ends a pass whose calls never answer: every cluster not finished fails with pass.timeout, none is skipped', async () => {
    // One cluster at a time: a1 finishes, a2 hangs; account B never lets the hub in.
    const serial = parseDesiredState(hubFile().replace('concurrency: 2', 'concurrency: 1'), 'hub.yaml');
    const { ports, deadline, signals } = hanging({ clusters: ['a2'], accounts: [B] }, 2);
    const report = await reconcile(serial, ports, { passId: 'p', dryRun: false, deadline: deadline.signal });
    expect(report.clusters.map((c) => [c.name, c.outcome, c.error?.code ?? ''])).toEqual([
      ['a1', 'applied', ''],
      ['a2', 'failed', 'pass.timeout'],
      ['a3', 'failed', 'pass.timeout'],
      ['b1', 'failed', 'pass.timeout'],
    ]);
    expect(report.skipped).toEqual([]);
    expect(report.cutShort).toBe('pass.timeout');
    // The ports were given the pass's signal: an adapter aborts its request with it.
    expect(signals.every((s) => s === deadline.signal)).toBe(true);
  });

  it('fails what it catches with the reason it was ended for when that is a HubError (a stop)', async () => {
    const { ports, deadline } = hanging(
      { clusters: ['a1', 'a2', 'a3', 'b1'] },
      2,
      new HubError('transient', 'hub.stopping', 'the hub was stopped'),
    );
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false, deadline: deadline.signal });
    expect(report.counts.failed).toBe(4);
    expect(new Set(report.clusters.map((c) => c.error?.code))).toEqual(new Set(['hub.stopping']));
    expect(report.cutShort).toBe('hub.stopping');
  });

  it('does not take a role listing cut short by the deadline for a failed listing (no cluster is planned from it)', async () => {
    const made = fakePorts();
    const deadline = new AbortController();
    const ports: Ports = {
      ...made.ports,
      roles: {
        listSsoRoles: (_account, _partition, signal) =>
          new Promise((_, reject) => {
            signal?.addEventListener('abort', () => reject(new HubError('transient', 'aws.timeout', 'iam:ListRoles: AbortError')));
            deadline.abort();
          }),
      },
    };
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false, deadline: deadline.signal });
    expect(report.clusters.map((c) => [c.outcome, c.error?.code])).toEqual(Array(4).fill(['failed', 'pass.timeout']));
  });
});

describe('a write caught by the deadline', () => {
  it('says whether the aws-auth write had been sent or had landed', async () => {
    for (const stage of ['sent', 'landed'] as const) {
      const made = fakePorts();
      const deadline = new AbortController();
      const store = made.store;
      const ports: Ports = {
        ...made.ports,
        awsAuth: {
          read: (c) => store.read(c),
          readHistory: (c) => store.readHistory(c),
          writeHistory: (c, e, entries, rv) => store.writeHistory(c, e, entries, rv),
          // The write lands on the server, then (sent) its answer never comes, or (landed) the access check never answers.
          write: async (c, e, change) => {
            await store.write(c, e, change);
            if (stage === 'landed') return;
            deadline.abort();
            return new Promise<never>(() => undefined);
          },
          verify: () => {
            deadline.abort();
            return new Promise<never>(() => undefined);
          },
        },
      };
      const report = await reconcile(state, ports, { passId: 'p', dryRun: false, only: ['a1'], deadline: deadline.signal });
      expect(report.clusters[0]).toMatchObject({ outcome: 'failed', interruptedWrite: stage, error: { code: 'pass.timeout' } });
      expect(report.clusters[0]?.error?.message).toContain(stage === 'sent' ? 'it may have landed' : 'had landed');
    }
  });
});

describe('the history after a write that did not happen', () => {
  it('corrects, on the next write, the entry of a pass stopped between its history write and its aws-auth write', async () => {
    const { ports, store } = fakePorts();
    const key = `${A}/eu-west-1/a1`;
    store.put(key, { mapRoles: '[]' });
    const live = store.objects.get(key);
    // The process dies after keeping the history, before writing aws-auth.
    store.beforeWrite = () => {
      throw new HubError('transient', 'kube.network', 'the process was killed');
    };
    const cut = await reconcile(state, ports, { passId: 'killed', dryRun: false, only: ['a1'] });
    expect(cut.clusters[0]?.outcome).toBe('failed');
    const lying = store.histories.get(key)?.entries ?? [];
    expect(lying.map((e) => e.passId)).toEqual(['killed']);
    // Readers can tell: that version is still the live one.
    expect(lying[0] !== undefined && notReplaced(lying[0], store.objects.get(key) ?? null)).toBe(true);
    expect(store.objects.get(key)).toEqual(live);

    store.beforeWrite = undefined;
    const next = await reconcile(state, ports, { passId: 'next', dryRun: false, only: ['a1'] });
    expect(next.clusters[0]?.outcome).toBe('applied');
    const history = store.histories.get(key)?.entries ?? [];
    // One entry for the version, naming the pass that did replace it.
    expect(history.map((e) => [e.passId, e.resourceVersion])).toEqual([['next', live?.resourceVersion]]);
    expect(history[0] !== undefined && notReplaced(history[0], store.objects.get(key) ?? null)).toBe(false);
  });

  it('keeps one entry per version when the same pass re-plans after a conflict', async () => {
    const { ports, store } = fakePorts();
    const key = `${A}/eu-west-1/a1`;
    store.put(key, { mapRoles: '[]' });
    let conflicts = 1;
    store.beforeWrite = () => {
      if (conflicts-- > 0) throw new ConflictError('conflict');
    };
    const report = await reconcile(state, ports, { passId: 'p', dryRun: false, only: ['a1'] });
    expect(report.clusters[0]).toMatchObject({ outcome: 'applied', attempts: 2 });
    expect(store.histories.get(key)?.entries.map((e) => e.passId)).toEqual(['p']);
  });
});

describe('a stop, then the deadline', () => {
  it('skips what it had not started when stopped, and fails only what the deadline caught in flight', async () => {
    const made = fakePorts();
    const stop = new AbortController();
    const deadline = new AbortController();
    const { clusters } = made.ports;
    const serial = parseDesiredState(hubFile().replace('concurrency: 2', 'concurrency: 1'), 'hub.yaml');
    const ports: Ports = {
      ...made.ports,
      // a2 never answers: the stop comes, then (its grace over) the deadline.
      clusters: {
        ...clusters,
        describe: (c, signal) => {
          if (c.name !== 'a2') return clusters.describe(c);
          stop.abort();
          deadline.abort(new HubError('transient', 'hub.stopping', 'the hub was stopped'));
          return new Promise<never>(() => signal);
        },
      },
    };
    const report = await reconcile(serial, ports, { passId: 'p', dryRun: false, signal: stop.signal, deadline: deadline.signal });
    // One cluster at a time: a1, then b1 (its account's queue), then a2 hangs; a3 was still waiting.
    expect(report.clusters.map((c) => [c.name, c.outcome, c.error?.code ?? ''])).toEqual([
      ['a1', 'applied', ''],
      ['a2', 'failed', 'hub.stopping'],
      ['b1', 'applied', ''],
    ]);
    expect(report.skipped).toEqual([`${A}/us-east-1/a3`]);
  });
});
