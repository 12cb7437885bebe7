/** The in-memory ports of `@eks-auth-hub/core/testing` behave like the real backends: checked changes, copies out, failures as the services give them. */
import {
  InMemoryAccountSessions,
  InMemoryAwsAuthStore,
  InMemoryClusterDirectory,
  InMemoryRoleDirectory,
  SteppingClock,
  ssoRole,
} from '@eks-auth-hub/core/testing';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../src/errors.js';
import type { ClusterRef } from '../src/world.js';

const A = '111122223333';
const ref: ClusterRef = { account: A, region: 'eu-west-1', name: 'a1', partition: 'aws' };
const at = { endpoint: 'https://a1', caPem: 'PEM', authenticationMode: 'API_AND_CONFIG_MAP' } as const;

describe('InMemoryAwsAuthStore', () => {
  it('refuses a stale write or a create over an existing object, changing nothing', async () => {
    const store = new InMemoryAwsAuthStore();
    store.put('111122223333/eu-west-1/a1', { mapRoles: '[]' });
    const before = await store.read(ref);
    const write = { resourceVersion: '1', data: { mapRoles: 'x' }, annotations: {} };
    await expect(store.write(ref, at, { ...write, create: false })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.write(ref, at, { ...write, create: true })).rejects.toBeInstanceOf(ConflictError);
    expect(await store.read(ref)).toEqual(before);
    expect(store.writes).toBe(0);
    await store.write(ref, at, { ...write, create: false, resourceVersion: before?.resourceVersion });
    expect((await store.read(ref))?.data).toEqual({ mapRoles: 'x' });
    expect((await store.read(ref))?.resourceVersion).not.toBe(before?.resourceVersion);
  });

  it('refuses to change an immutable object, as the API server does', async () => {
    const store = new InMemoryAwsAuthStore();
    store.put('111122223333/eu-west-1/a1', { mapRoles: '[]' }, {}, true);
    const live = await store.read(ref);
    await expect(
      store.write(ref, at, { create: false, resourceVersion: live?.resourceVersion, data: {}, annotations: {} }),
    ).rejects.toMatchObject({ code: 'kube.rejected' });
    expect((await store.read(ref))?.data).toEqual({ mapRoles: '[]' });
  });

  it('hands out copies', async () => {
    const store = new InMemoryAwsAuthStore();
    store.put('111122223333/eu-west-1/a1', { mapRoles: '[]' });
    const read = await store.read(ref);
    if (read === null) throw new Error('not there');
    (read.data as Record<string, string>)['mapRoles'] = 'changed';
    expect((await store.read(ref))?.data).toEqual({ mapRoles: '[]' });
    await store.writeHistory(ref, at, [{ replacedAt: 'x', passId: 'p', desiredHash: '', data: {} }], undefined);
    const history = await store.readHistory(ref);
    if (history === null) throw new Error('no history');
    (history.entries as unknown[]).push('more');
    expect((await store.readHistory(ref))?.entries).toHaveLength(1);
  });
});

describe('the other in-memory ports', () => {
  it('list only the Identity Center roles, as copies, and fail a listing or an account as told', async () => {
    const roles = new InMemoryRoleDirectory();
    const other = { ...ssoRole(A, 'Admin', '0123456789abcdef'), roleName: 'other', path: '/', arn: `arn:aws:iam::${A}:role/other` };
    roles.put(A, [ssoRole(A, 'Admin', '0123456789abcdef'), other]);
    const listed = await roles.listSsoRoles(A);
    expect(listed.map((r) => r.roleName)).toEqual(['AWSReservedSSO_Admin_0123456789abcdef']);
    expect(listed[0]?.arn).toBe(`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`);
    roles.failListing(A);
    await expect(roles.listSsoRoles(A)).rejects.toMatchObject({ code: 'aws.throttled' });
    expect(roles.listed).toEqual([A, A]);

    const sessions = new InMemoryAccountSessions();
    await sessions.open(A);
    sessions.refuse(A);
    await expect(sessions.open(A)).rejects.toMatchObject({ code: 'aws.access-denied' });
  });

  it('describe only the clusters that exist', async () => {
    const clusters = new InMemoryClusterDirectory();
    await expect(clusters.describe(ref)).rejects.toMatchObject({ code: 'aws.not-found' });
    clusters.put(ref, { nodeRoles: [{ kind: 'extra', roleArn: `arn:aws:iam::${A}:role/node` }] });
    expect(await clusters.describe(ref)).toEqual(at);
    expect(await clusters.nodeRoles(ref)).toEqual([{ kind: 'extra', roleArn: `arn:aws:iam::${A}:role/node` }]);
  });

  it('a stepping clock moves on each time it is read', () => {
    const clock = new SteppingClock(new Date('2026-01-01T00:00:00Z'), 1000);
    expect([clock.now().toISOString(), clock.now().toISOString()]).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']);
    clock.advance(60_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:01:02.000Z');
  });
});
