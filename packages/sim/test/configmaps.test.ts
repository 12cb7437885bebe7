/** ConfigMaps through client-node: create, read, list, replace (resourceVersion rules), merge patch, delete, Status errors. */

import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { assumeSpoke, demoWorld } from './helpers.js';
import { caught, clusterEndpoint, expectStatus, freshClient } from './wire.js';

const PAYMENTS = '111122223333';
const NS = 'default';

const h = useSimulator(demoWorld, { env: false });
let api: CoreV1Api;
beforeAll(async () => {
  const spoke = await assumeSpoke(h.sim, PAYMENTS);
  // payments-staging was created by the spoke: it may do anything there.
  api = await freshClient(h.sim, await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-staging'), spoke, 'payments-staging');
});

function configMap(name: string, data: Record<string, string>, resourceVersion?: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: NS, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    data,
  };
}

const read = (name: string): Promise<V1ConfigMap> => api.readNamespacedConfigMap({ name, namespace: NS });
const replace = (name: string, body: V1ConfigMap): Promise<V1ConfigMap> => api.replaceNamespacedConfigMap({ name, namespace: NS, body });
const mergePatch = (name: string, body: object): Promise<V1ConfigMap> =>
  api.patchNamespacedConfigMap({ name, namespace: NS, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

describe('create and read', () => {
  it('creates with 201 and reads back the same object', async () => {
    const created = await api.createNamespacedConfigMapWithHttpInfo({ namespace: NS, body: configMap('settings', { a: '1', b: '2' }) });
    expect(created.httpStatusCode).toBe(201);
    const meta = created.data.metadata;
    expect(meta?.name).toBe('settings');
    expect(meta?.namespace).toBe(NS);
    expect(meta?.resourceVersion).toMatch(/^[0-9]+$/);
    expect(meta?.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(meta?.creationTimestamp).toBeInstanceOf(Date);
    const back = await read('settings');
    expect(back.data).toEqual({ a: '1', b: '2' });
    expect(back.metadata?.resourceVersion).toBe(meta?.resourceVersion);
    expect(back.metadata?.uid).toBe(meta?.uid);
  });

  it('refuses to create an existing name: 409 AlreadyExists', async () => {
    const error = await caught(api.createNamespacedConfigMap({ namespace: NS, body: configMap('settings', { c: '3' }) }));
    const status = expectStatus(error, 409, 'AlreadyExists');
    expect(status.message).toBe('configmaps "settings" already exists');
    expect(status.details).toEqual({ name: 'settings', kind: 'configmaps' });
    expect((await read('settings')).data).toEqual({ a: '1', b: '2' });
  });

  it('answers 404 NotFound for a missing object', async () => {
    const status = expectStatus(await caught(read('absent')), 404, 'NotFound');
    expect(status.message).toBe('configmaps "absent" not found');
    expect(status.details).toEqual({ name: 'absent', kind: 'configmaps' });
  });

  it('refuses invalid data keys with 422 Invalid', async () => {
    const error = await caught(api.createNamespacedConfigMap({ namespace: NS, body: configMap('bad-keys', { 'not a key': 'x' }) }));
    expectStatus(error, 422, 'Invalid');
    expectStatus(await caught(read('bad-keys')), 404, 'NotFound');
  });
});

describe('replace', () => {
  it('with the current resourceVersion: 200 and a new resourceVersion', async () => {
    const current = await read('settings');
    const before = current.metadata?.resourceVersion;
    const written = await api.replaceNamespacedConfigMapWithHttpInfo({
      name: 'settings',
      namespace: NS,
      body: { ...current, data: { a: '10' } },
    });
    expect(written.httpStatusCode).toBe(200);
    expect(written.data.data).toEqual({ a: '10' });
    expect(written.data.metadata?.resourceVersion).not.toBe(before);
    expect(written.data.metadata?.uid).toBe(current.metadata?.uid);
  });

  it('with a stale resourceVersion: 409 Conflict, nothing written', async () => {
    const stale = await read('settings');
    await replace('settings', { ...stale, data: { a: 'first' } });
    const error = await caught(replace('settings', { ...stale, data: { a: 'second' } }));
    const status = expectStatus(error, 409, 'Conflict');
    expect(status.message).toBe(
      'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(status.details).toEqual({ name: 'settings', kind: 'configmaps' });
    expect((await read('settings')).data).toEqual({ a: 'first' });
  });

  it('without a resourceVersion (absent or empty): overwrites', async () => {
    await replace('settings', configMap('settings', { a: 'blind' }));
    expect((await read('settings')).data).toEqual({ a: 'blind' });
    await replace('settings', configMap('settings', { a: 'empty-rv' }, ''));
    expect((await read('settings')).data).toEqual({ a: 'empty-rv' });
  });

  it('of a missing object: 404 NotFound', async () => {
    const status = expectStatus(await caught(replace('never-created', configMap('never-created', { x: '1' }))), 404, 'NotFound');
    expect(status.message).toBe('configmaps "never-created" not found');
  });

  it('with a body naming another object: 400 BadRequest', async () => {
    expectStatus(await caught(replace('settings', configMap('other', { x: '1' }))), 400, 'BadRequest');
  });
});

describe('merge patch', () => {
  it('adds, changes and removes keys, keeping the rest', async () => {
    await replace('settings', configMap('settings', { keep: 'k', change: 'old', drop: 'd' }));
    const before = (await read('settings')).metadata?.resourceVersion;
    const patched = await mergePatch('settings', { data: { change: 'new', add: 'a', drop: null } });
    expect(patched.data).toEqual({ keep: 'k', change: 'new', add: 'a' });
    expect(patched.metadata?.resourceVersion).not.toBe(before);
    expect((await read('settings')).data).toEqual({ keep: 'k', change: 'new', add: 'a' });
  });

  it('honours a resourceVersion precondition in the patch', async () => {
    const current = (await read('settings')).metadata?.resourceVersion ?? '';
    const ok = await mergePatch('settings', { metadata: { resourceVersion: current }, data: { guarded: 'yes' } });
    expect(ok.data?.['guarded']).toBe('yes');
    const error = await caught(mergePatch('settings', { metadata: { resourceVersion: current }, data: { guarded: 'again' } }));
    expectStatus(error, 409, 'Conflict');
    expect((await read('settings')).data?.['guarded']).toBe('yes');
  });

  it('of a missing object: 404 NotFound', async () => {
    expectStatus(await caught(mergePatch('ghost', { data: { a: '1' } })), 404, 'NotFound');
  });
});

describe('list and delete', () => {
  it('lists the ConfigMaps of one namespace', async () => {
    await api.createNamespacedConfigMap({ namespace: NS, body: configMap('second', { z: '26' }) });
    const list = await api.listNamespacedConfigMap({ namespace: NS });
    expect(list.items.map((i) => i.metadata?.name).sort()).toEqual(['second', 'settings']);
    expect(list.metadata?.resourceVersion).toMatch(/^[0-9]+$/);
    const system = await api.listNamespacedConfigMap({ namespace: 'kube-system' });
    expect(system.items.map((i) => i.metadata?.name)).toEqual(['aws-auth']);
  });

  it('deletes, after which reads, replaces and deletes are 404', async () => {
    const status = await api.deleteNamespacedConfigMap({ name: 'second', namespace: NS });
    expect(status.status).toBe('Success');
    expect(status.details?.name).toBe('second');
    expectStatus(await caught(read('second')), 404, 'NotFound');
    expectStatus(await caught(api.deleteNamespacedConfigMap({ name: 'second', namespace: NS })), 404, 'NotFound');
    expect((await api.listNamespacedConfigMap({ namespace: NS })).items.map((i) => i.metadata?.name)).toEqual(['settings']);
  });

  it('a deleted name can be created again, with a new uid', async () => {
    const old = await read('settings');
    await api.deleteNamespacedConfigMap({ name: 'settings', namespace: NS });
    const again = await api.createNamespacedConfigMap({ namespace: NS, body: configMap('settings', { fresh: '1' }) });
    expect(again.data).toEqual({ fresh: '1' });
    expect(again.metadata?.uid).not.toBe(old.metadata?.uid);
  });
});
