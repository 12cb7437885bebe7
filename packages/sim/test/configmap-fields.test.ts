/**
 * ConfigMap fields beyond data, through client-node as the API server treats them: binaryData,
 * immutable, ownerReferences, finalizers and managedFields stored from the body and returned; key,
 * size, overlap and base64 rules; immutability; deletion held by finalizers.
 */
import { request } from 'node:https';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { assumeSpoke, type Creds, clusterToken, demoWorld } from './helpers.js';
import { caught, clusterEndpoint, expectStatus, freshClient } from './wire.js';

const PAYMENTS = '111122223333';
const NS = 'fields';
const MIB = 1024 * 1024;

const h = useSimulator(demoWorld, { env: false });
let api: CoreV1Api;
let spoke: Creds;
beforeAll(async () => {
  spoke = await assumeSpoke(h.sim, PAYMENTS);
  api = await freshClient(h.sim, await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-staging'), spoke, 'payments-staging');
});

const read = (name: string): Promise<V1ConfigMap> => api.readNamespacedConfigMap({ name, namespace: NS });
const create = (body: V1ConfigMap): Promise<V1ConfigMap> => api.createNamespacedConfigMap({ namespace: NS, body });
const replace = (name: string, body: V1ConfigMap): Promise<V1ConfigMap> => api.replaceNamespacedConfigMap({ name, namespace: NS, body });
const mergePatch = (name: string, body: object): Promise<V1ConfigMap> =>
  api.patchNamespacedConfigMap({ name, namespace: NS, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
const remove = (name: string): Promise<unknown> => api.deleteNamespacedConfigMap({ name, namespace: NS });

function configMap(name: string, fields: Omit<V1ConfigMap, 'metadata'> & { metadata?: V1ConfigMap['metadata'] } = {}): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', ...fields, metadata: { ...fields.metadata, name, namespace: NS } };
}

/** A raw request body, for what client-node's typed models would not send. */
async function rawCreate(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const cluster = h.sim.world.cluster(PAYMENTS, 'eu-west-1', 'payments-staging');
  const token = await clusterToken(spoke, 'payments-staging');
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(
      `${h.sim.kubeEndpoint}/k8s/${cluster.id}/api/v1/namespaces/${NS}/configmaps`,
      {
        method: 'POST',
        ca: h.sim.caPem,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const owner = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'bootstrap',
  uid: '6c1f3a52-0d4b-4f8e-9a51-0f6c2b7e9d11',
  controller: true,
  blockOwnerDeletion: true,
};
const managed = {
  manager: 'kubectl-client-side-apply',
  operation: 'Update',
  apiVersion: 'v1',
  time: new Date('2025-06-01T10:00:00Z'),
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:data': { 'f:mapRoles': {} } },
};

describe('binaryData', () => {
  it('is stored from the body and returned as standard base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    await create(configMap('binary', { data: { text: 'x' }, binaryData: { 'logo.png': bytes.toString('base64') } }));
    const back = await read('binary');
    expect(back.binaryData).toEqual({ 'logo.png': bytes.toString('base64') });
    expect(Buffer.from(back.binaryData?.['logo.png'] ?? '', 'base64')).toEqual(bytes);
    expect(back.data).toEqual({ text: 'x' });
  });

  it('is removed by a replace without it (a replace is the whole object)', async () => {
    const current = await read('binary');
    const { binaryData: _dropped, ...rest } = current;
    await replace('binary', rest);
    expect((await read('binary')).binaryData).toBeUndefined();
  });

  it('refuses a key present in both data and binaryData: 422, with the field as the cause', async () => {
    const status = expectStatus(
      await caught(create(configMap('both', { data: { mapRoles: 'x' }, binaryData: { mapRoles: 'eA==' } }))),
      422,
      'Invalid',
    );
    expect(status.message).toBe(
      'ConfigMap "both" is invalid: data[mapRoles]: Invalid value: "mapRoles": duplicate of key present in binaryData',
    );
    expect(status.details).toEqual({
      name: 'both',
      kind: 'ConfigMap',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "mapRoles": duplicate of key present in binaryData',
          field: 'data[mapRoles]',
        },
      ],
    });
    expectStatus(await caught(read('both')), 404, 'NotFound');
  });

  it('refuses an invalid binaryData key and reports every problem at once', async () => {
    const status = expectStatus(
      await caught(create(configMap('bad-binary', { data: { 'a b': 'x' }, binaryData: { '..hidden': 'eA==' } }))),
      422,
      'Invalid',
    );
    expect(status.message).toMatch(
      /^ConfigMap "bad-binary" is invalid: \[data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters.*, binaryData\[\.\.hidden\]: Invalid value: "\.\.hidden": must not start with '\.\.'\]$/,
    );
  });

  it('refuses a value that is not standard base64: 400, it cannot be decoded', async () => {
    const { status, json } = await rawCreate({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'not-base64' },
      binaryData: { blob: 'eA' },
    });
    expect(status).toBe(400);
    expect(json).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(json['message']).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0');
    const wrongType = await rawCreate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-string' }, data: { n: 1 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json['message']).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });
});

describe('the 1 MiB limit', () => {
  it('counts values only: data in UTF-8 bytes plus binaryData decoded', async () => {
    // Keys do not count: exactly 1 MiB of values is accepted.
    await create(configMap('full', { data: { a: 'x'.repeat(MIB - 3) }, binaryData: { b: Buffer.from('abc').toString('base64') } }));
    expect(Buffer.byteLength((await read('full')).data?.['a'] ?? '')).toBe(MIB - 3);
    const over = await caught(create(configMap('over', { data: { a: 'é'.repeat(MIB / 2 - 1), b: 'xyz' } })));
    const status = expectStatus(over, 422, 'Invalid');
    expect(status.message).toBe('ConfigMap "over" is invalid: []: Too long: must have at most 1048576 bytes');
    const current = await read('full');
    expectStatus(await caught(replace('full', { ...current, binaryData: { b: Buffer.from('abcd').toString('base64') } })), 422, 'Invalid');
    expect((await read('full')).binaryData).toEqual({ b: Buffer.from('abc').toString('base64') });
    await remove('full');
  });
});

describe('immutable', () => {
  it('is stored and returned; data, binaryData and the flag are frozen: 422 Forbidden', async () => {
    await create(configMap('frozen', { data: { a: '1' }, binaryData: { b: 'eA==' }, immutable: true }));
    const current = await read('frozen');
    expect(current.immutable).toBe(true);

    const data = expectStatus(await caught(replace('frozen', { ...current, data: { a: '2' } })), 422, 'Invalid');
    expect(data.message).toBe('ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    expect(data.details).toEqual({
      name: 'frozen',
      kind: 'ConfigMap',
      causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data' }],
    });

    const { immutable: _flag, binaryData: _binary, ...withoutBoth } = current;
    const both = expectStatus(await caught(replace('frozen', withoutBoth)), 422, 'Invalid');
    expect(both.message).toBe(
      'ConfigMap "frozen" is invalid: [immutable: Forbidden: field is immutable when `immutable` is set, binaryData: Forbidden: field is immutable when `immutable` is set]',
    );
    expectStatus(await caught(mergePatch('frozen', { data: { a: '3' } })), 422, 'Invalid');
    expect((await read('frozen')).data).toEqual({ a: '1' });
  });

  it('still lets metadata change, and the object be deleted', async () => {
    const current = await read('frozen');
    const relabelled = await replace('frozen', {
      ...current,
      metadata: { ...current.metadata, labels: { team: 'platform' }, annotations: { note: 'kept' } },
    });
    expect(relabelled.metadata?.labels).toEqual({ team: 'platform' });
    expect(relabelled.metadata?.resourceVersion).not.toBe(current.metadata?.resourceVersion);
    expect((await mergePatch('frozen', { metadata: { annotations: { note: 'changed' } } })).metadata?.annotations).toEqual({
      note: 'changed',
    });
    await remove('frozen');
    expectStatus(await caught(read('frozen')), 404, 'NotFound');
  });

  it('false is kept as false, and may change', async () => {
    await create(configMap('thawed', { data: { a: '1' }, immutable: false }));
    const current = await read('thawed');
    expect(current.immutable).toBe(false);
    expect((await replace('thawed', { ...current, data: { a: '2' } })).data).toEqual({ a: '2' });
  });
});

describe('metadata the server stores as given', () => {
  it('ownerReferences, finalizers and managedFields come back as they were sent', async () => {
    await create(
      configMap('owned', {
        data: { a: '1' },
        metadata: { ownerReferences: [owner], finalizers: ['example.com/keep'], managedFields: [managed] },
      }),
    );
    const back = await read('owned');
    expect(back.metadata?.ownerReferences).toEqual([owner]);
    expect(back.metadata?.finalizers).toEqual(['example.com/keep']);
    expect(back.metadata?.managedFields).toEqual([managed]);
  });

  it('an update without managedFields keeps them; one with a single empty entry clears them; ownerReferences follow the body', async () => {
    const current = await read('owned');
    const { managedFields: _m, ...meta } = current.metadata ?? {};
    const kept = await replace('owned', { ...current, metadata: meta, data: { a: '2' } });
    expect(kept.metadata?.managedFields).toEqual([managed]);
    expect(kept.metadata?.ownerReferences).toEqual([owner]);
    const { ownerReferences: _o, ...noOwners } = kept.metadata ?? {};
    const cleared = await replace('owned', { ...kept, metadata: { ...noOwners, managedFields: [{}] } });
    expect(cleared.metadata?.managedFields).toBeUndefined();
    expect(cleared.metadata?.ownerReferences).toBeUndefined();
    expect(cleared.metadata?.finalizers).toEqual(['example.com/keep']);
  });

  it('refuses an owner reference without a uid and two controllers', async () => {
    const status = expectStatus(
      await caught(
        create(
          configMap('bad-owner', {
            metadata: {
              ownerReferences: [
                { ...owner, uid: '' },
                { ...owner, name: 'other' },
              ],
            },
          }),
        ),
      ),
      422,
      'Invalid',
    );
    expect(status.message).toContain('metadata.ownerReferences.uid: Invalid value: "": uid must not be empty');
    expect(status.message).toContain('Only one reference can have Controller set to true');
  });

  it('a delete waits for the finalizers: the object is marked, then goes when the last finalizer is removed', async () => {
    await remove('owned');
    const marked = await read('owned');
    expect(marked.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    const added = expectStatus(
      await caught(replace('owned', { ...marked, metadata: { ...marked.metadata, finalizers: ['example.com/keep', 'example.com/more'] } })),
      422,
      'Invalid',
    );
    expect(added.message).toContain('no new finalizers can be added if the object is being deleted');
    const released = await replace('owned', { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    expect(released.metadata?.name).toBe('owned');
    expectStatus(await caught(read('owned')), 404, 'NotFound');
  });
});
