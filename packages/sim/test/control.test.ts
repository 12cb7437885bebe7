/** The control API over HTTP (`/_sim/...`), observed through the real SDK clients and client-node. */
import { get as httpsGet } from 'node:https';
import { DescribeClusterCommand, DescribeNodegroupCommand, ListNodegroupsCommand, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { ListRolesCommand, type Role } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsAuthState } from '../src/control.js';
import type { OperationCount } from '../src/faults.js';
import { assumeSpoke, type Creds, demoWorld, eks, hubCreds, iam, sts } from './helpers.js';
import { caught, clusterEndpoint, control, expectSdkError, expectStatus, freshClient, readAwsAuth } from './wire.js';

const PAYMENTS = '111122223333';
const SSO = '/aws-reserved/sso.amazonaws.com/';
const STAGING = { account: PAYMENTS, region: 'eu-west-1', cluster: 'payments-staging' };

const h = useSimulator(demoWorld, { env: false });
let spoke: Creds;
beforeAll(async () => {
  spoke = await assumeSpoke(h.sim, PAYMENTS);
});

async function roles(prefix = '/'): Promise<Role[]> {
  const out = await iam(h.sim, spoke).send(new ListRolesCommand({ PathPrefix: prefix, MaxItems: 1000 }));
  expect(out.IsTruncated).toBe(false);
  return out.Roles ?? [];
}

describe('permission sets and roles', () => {
  it('reassigning a permission set (last assignment removed, a new one made) replaces its role with a new suffix, visible through ListRoles', async () => {
    const before = (await roles(SSO)).find((r) => r.RoleName?.startsWith('AWSReservedSSO_ReadOnly_'));
    expect(before?.Path).toBe(`${SSO}eu-west-1/`);
    const { status, json } = await control(h.sim, 'POST', 'permission-sets/reassign', { account: PAYMENTS, permissionSet: 'ReadOnly' });
    expect(status).toBe(200);
    const answer = json as { removed: string[]; roleArn: string };
    expect(answer.removed).toEqual([before?.Arn]);
    expect(answer.roleArn).toMatch(
      new RegExp(`^arn:aws:iam::${PAYMENTS}:role/aws-reserved/sso\\.amazonaws\\.com/eu-west-1/AWSReservedSSO_ReadOnly_[0-9a-f]{16}$`),
    );
    expect(answer.roleArn).not.toBe(before?.Arn);

    const after = (await roles(SSO)).filter((r) => r.RoleName?.startsWith('AWSReservedSSO_ReadOnly_'));
    expect(after.map((r) => r.Arn)).toEqual([answer.roleArn]);
    expect(after[0]?.Path).toBe(`${SSO}eu-west-1/`);
    expect(after[0]?.RoleId).not.toBe(before?.RoleId);
  });

  it('assigning a new permission set and creating or deleting a role show up in ListRoles', async () => {
    const provisioned = await control(h.sim, 'POST', 'permission-sets/assign', { account: PAYMENTS, permissionSet: 'Auditors' });
    expect(provisioned.status).toBe(200);
    const { roleArn } = provisioned.json as { roleArn: string };
    expect((await roles(SSO)).map((r) => r.Arn)).toContain(roleArn);

    expect((await control(h.sim, 'POST', 'roles', { account: PAYMENTS, name: 'made-by-test', path: '/tests/' })).status).toBe(200);
    expect((await roles('/tests/')).map((r) => r.RoleName)).toEqual(['made-by-test']);
    const duplicate = await control(h.sim, 'POST', 'roles', { account: PAYMENTS, name: 'MADE-BY-TEST' });
    expect(duplicate).toMatchObject({ status: 409, json: { error: 'EntityAlreadyExists' } });
    expect((await control(h.sim, 'DELETE', 'roles', { account: PAYMENTS, name: 'made-by-test' })).status).toBe(200);
    expect(await roles('/tests/')).toEqual([]);
    expect(await control(h.sim, 'DELETE', 'roles', { account: PAYMENTS, name: 'made-by-test' })).toMatchObject({
      status: 404,
      json: { error: 'NoSuchEntity' },
    });
  });

  it('reassigning or provisioning a permission set that is not provisioned is a 404', async () => {
    for (const operation of ['reassign', 'provision']) {
      const { status, json } = await control(h.sim, 'POST', `permission-sets/${operation}`, {
        account: PAYMENTS,
        permissionSet: 'NeverAssigned',
      });
      expect(status, operation).toBe(404);
      expect(json, operation).toMatchObject({ error: 'NoSuchEntity' });
    }
  });

  it('provisioning a permission set (ProvisionPermissionSet) keeps its role: the same ARN, role id and suffix in ListRoles', async () => {
    const before = (await roles(SSO)).filter((r) => r.RoleName?.startsWith('AWSReservedSSO_PowerUserAccess_'));
    expect(before).toHaveLength(1);
    const { status, json } = await control(h.sim, 'POST', 'permission-sets/provision', {
      account: PAYMENTS,
      permissionSet: 'PowerUserAccess',
    });
    expect(status).toBe(200);
    expect(json).toEqual({ roleArns: [before[0]?.Arn] });
    const after = (await roles(SSO)).filter((r) => r.RoleName?.startsWith('AWSReservedSSO_PowerUserAccess_'));
    expect(after.map((r) => [r.Arn, r.RoleId])).toEqual(before.map((r) => [r.Arn, r.RoleId]));
  });
});

describe('node groups', () => {
  it('added and removed node groups show up in EKS', async () => {
    const ref = { account: PAYMENTS, region: 'eu-west-1', cluster: 'payments-staging' };
    const nodeRole = `arn:aws:iam::${PAYMENTS}:role/karpenter-node`;
    expect((await control(h.sim, 'POST', 'nodegroups', { ...ref, name: 'arm', nodeRole, amiType: 'AL2023_ARM_64_STANDARD' })).status).toBe(
      200,
    );
    expect((await eks(h.sim, spoke).send(new ListNodegroupsCommand({ clusterName: 'payments-staging' }))).nodegroups).toEqual([
      'linux',
      'arm',
    ]);
    const ng = (await eks(h.sim, spoke).send(new DescribeNodegroupCommand({ clusterName: 'payments-staging', nodegroupName: 'arm' })))
      .nodegroup;
    expect(ng).toMatchObject({ nodeRole, amiType: 'AL2023_ARM_64_STANDARD' });
    expect((await control(h.sim, 'DELETE', 'nodegroups', { ...ref, name: 'arm' })).status).toBe(200);
    const gone = await caught(
      eks(h.sim, spoke).send(new DescribeNodegroupCommand({ clusterName: 'payments-staging', nodegroupName: 'arm' })),
    );
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('aws-auth hand edits', () => {
  it('an edit is what client-node reads next; deleting it makes the read 404', async () => {
    const api = await freshClient(h.sim, await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-staging'), spoke, 'payments-staging');
    const before = await readAwsAuth(api);
    const data = { mapRoles: '- rolearn: arn:aws:iam::111122223333:role/ci-deployer\n  username: edited\n  groups: [system:masters]\n' };
    const edited = await control(h.sim, 'PUT', 'aws-auth', { ...STAGING, data, annotations: { 'edited-by': 'hand' } });
    expect(edited.status).toBe(200);
    const state = edited.json as AwsAuthState;
    expect(state.data).toEqual(data);

    const read = await readAwsAuth(api);
    expect(read.data).toEqual(data);
    expect(read.metadata?.annotations).toEqual({ 'edited-by': 'hand' });
    expect(read.metadata?.resourceVersion).toBe(state.resourceVersion);
    expect(read.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);

    const fetched = await control(h.sim, 'GET', `aws-auth?account=${PAYMENTS}&region=eu-west-1&cluster=payments-staging`);
    expect(fetched).toEqual({ status: 200, json: state });

    expect(await control(h.sim, 'PUT', 'aws-auth', { ...STAGING, data: null })).toEqual({ status: 200, json: null });
    expectStatus(await caught(readAwsAuth(api)), 404, 'NotFound');
    expect((await control(h.sim, 'GET', `aws-auth?account=${PAYMENTS}&region=eu-west-1&cluster=payments-staging`)).json).toBeNull();
  });

  it('plants a whole ConfigMap (binaryData, immutable, foreign metadata) that client-node then reads as planted', async () => {
    // payments-staging was created by the spoke: what aws-auth holds does not decide its access.
    const api = await freshClient(h.sim, await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-staging'), spoke, 'payments-staging');
    const data = { mapRoles: '- rolearn: arn:aws:iam::111122223333:role/ci-deployer\n  username: ci\n  groups: [deployers]\n' };
    const object = {
      metadata: {
        name: 'aws-auth',
        namespace: 'kube-system',
        labels: { 'app.kubernetes.io/managed-by': 'eksctl' },
        annotations: { 'owner.example.com/team': 'platform' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'seed', uid: '6c1f3a52-0d4b-4f8e-9a51-0f6c2b7e9d11' }],
        finalizers: ['example.com/keep'],
      },
      data,
      binaryData: { 'logo.png': 'iVBORw==' },
      immutable: true,
    };
    const planted = await control(h.sim, 'PUT', 'configmaps', { ...STAGING, object });
    expect(planted.status).toBe(200);
    const read = await readAwsAuth(api);
    expect(read).toMatchObject({ data, binaryData: object.binaryData, immutable: true });
    expect(read.metadata).toMatchObject({
      labels: object.metadata.labels,
      annotations: object.metadata.annotations,
      ownerReferences: object.metadata.ownerReferences,
      finalizers: ['example.com/keep'],
    });
    const fetched = await control(
      h.sim,
      'GET',
      `configmaps?account=${PAYMENTS}&region=eu-west-1&cluster=payments-staging&namespace=kube-system&name=aws-auth`,
    );
    expect(fetched).toEqual({ status: 200, json: planted.json });

    const refused = await control(h.sim, 'PUT', 'configmaps', {
      ...STAGING,
      object: { ...object, data: { ...object.data, 'logo.png': 'x' } },
    });
    expect(refused.status).toBe(400);
    expect((refused.json as { message: string }).message).toContain('duplicate of key present in binaryData');
    expect((await readAwsAuth(api)).metadata?.resourceVersion).toBe(read.metadata?.resourceVersion);
    const replanted = await control(h.sim, 'PUT', 'configmaps', {
      ...STAGING,
      object: { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data },
    });
    expect(replanted.json).not.toHaveProperty('binaryData');
    expect(replanted.json).not.toHaveProperty('immutable');
    expect((await readAwsAuth(api)).metadata?.uid).toBe(read.metadata?.uid);
  });

  it('refuses an unknown cluster and a malformed body', async () => {
    const unknown = await control(h.sim, 'PUT', 'aws-auth', { account: PAYMENTS, region: 'eu-west-1', cluster: 'nope', data: {} });
    expect(unknown).toMatchObject({ status: 404, json: { error: 'ResourceNotFoundException' } });
    const malformed = await control(h.sim, 'PUT', 'aws-auth', {
      account: PAYMENTS,
      region: 'eu-west-1',
      cluster: 'payments-staging',
      data: { k: 1 },
    });
    expect(malformed).toMatchObject({ status: 400, json: { error: 'BadRequest' } });
    const invalid = await control(h.sim, 'PUT', 'aws-auth', {
      account: PAYMENTS,
      region: 'eu-west-1',
      cluster: 'payments-staging',
      data: { 'not a key': 'x' },
    });
    expect(invalid).toMatchObject({
      status: 422,
      json: { error: 'Invalid', message: expect.stringContaining('data[not a key]: Invalid value') },
    });
    expect((await control(h.sim, 'GET', 'no-such-route')).status).toBe(404);
  });
});

describe('counters and clock', () => {
  it('counts calls per operation, by outcome', async () => {
    expect((await control(h.sim, 'POST', 'counters/reset')).status).toBe(200);
    await roles();
    await roles('/eks/');
    await sts(h.sim, spoke).send(new GetCallerIdentityCommand({}));
    await caught(sts(h.sim, { ...hubCreds(h.sim), secretAccessKey: 'w'.repeat(40) }).send(new GetCallerIdentityCommand({})));
    await caught(eks(h.sim, spoke).send(new DescribeNodegroupCommand({ clusterName: 'payments-staging', nodegroupName: 'none' })));
    const { status, json } = await control(h.sim, 'GET', 'counters');
    expect(status).toBe(200);
    expect(json).toEqual({
      'eks:DescribeNodegroup': { calls: 1, outcomes: { ResourceNotFoundException: 1 } },
      'iam:ListRoles': { calls: 2, outcomes: { ok: 2 } },
      'sts:GetCallerIdentity': { calls: 2, outcomes: { ok: 1, SignatureDoesNotMatch: 1 } },
    } satisfies Record<string, OperationCount>);
  });

  it('counts authenticated calls per principal: a session under its role, a key under its user', async () => {
    expect((await control(h.sim, 'POST', 'counters/reset')).status).toBe(200);
    const session = await assumeSpoke(h.sim, PAYMENTS);
    await roles();
    await caught(eks(h.sim, session).send(new DescribeNodegroupCommand({ clusterName: 'payments-staging', nodegroupName: 'none' })));
    // A request whose signature fails names no principal.
    await caught(sts(h.sim, { ...hubCreds(h.sim), secretAccessKey: 'w'.repeat(40) }).send(new GetCallerIdentityCommand({})));
    const { status, json } = await control(h.sim, 'GET', 'principals');
    expect(status).toBe(200);
    expect(json).toEqual({
      [`arn:aws:iam::${PAYMENTS}:role/eks-auth-hub-spoke`]: { 'eks:DescribeNodegroup': 1, 'iam:ListRoles': 1 },
      [h.sim.world.hub.arn]: { 'sts:AssumeRole': 1 },
    });
  });

  it('moving the clock forward expires sessions', async () => {
    const session = await assumeSpoke(h.sim, PAYMENTS);
    expect((await control(h.sim, 'POST', 'clock', { advanceSeconds: 3700 })).status).toBe(200);
    try {
      expectSdkError(await caught(sts(h.sim, session).send(new GetCallerIdentityCommand({}))), 'ExpiredToken', 403);
    } finally {
      await control(h.sim, 'POST', 'clock', { advanceSeconds: -3700 });
    }
    expect((await sts(h.sim, session).send(new GetCallerIdentityCommand({}))).Account).toBe(PAYMENTS);
  });

  it('lists every cluster', async () => {
    const { json } = await control(h.sim, 'GET', 'clusters');
    expect(json).toHaveLength(6);
    expect(json).toContainEqual({ account: '555566667777', region: 'eu-central-1', cluster: 'sandbox' });
  });
});

describe('clusters created again', () => {
  it('a cluster deleted and created again under the same name has a new endpoint and creation time, and nothing inside', async () => {
    const ref = { account: PAYMENTS, region: 'eu-west-1', cluster: 'payments-prod' };
    const before = (await eks(h.sim, spoke).send(new DescribeClusterCommand({ name: 'payments-prod' }))).cluster;
    expect((await control(h.sim, 'POST', 'clusters/recreate', ref)).status).toBe(200);
    const after = (await eks(h.sim, spoke).send(new DescribeClusterCommand({ name: 'payments-prod' }))).cluster;
    expect(after?.arn).toBe(before?.arn);
    expect(after?.endpoint).not.toBe(before?.endpoint);
    expect(after?.createdAt?.getTime()).toBeGreaterThan(before?.createdAt?.getTime() ?? Infinity);
    expect((await eks(h.sim, spoke).send(new ListNodegroupsCommand({ clusterName: 'payments-prod' }))).nodegroups).toEqual([]);
    expect(h.sim.control.readAwsAuth(ref)).toBeNull();
    // The old endpoint serves nothing any more; the new one does.
    const status = (endpoint: string | undefined): Promise<number> =>
      new Promise((resolve, reject) => {
        httpsGet(`${endpoint ?? ''}/version`, { ca: h.sim.caPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await status(before?.endpoint)).toBe(404);
    expect(await status(after?.endpoint)).toBe(200);
    expect((await control(h.sim, 'POST', 'clusters/recreate', { ...ref, cluster: 'nope' })).status).toBe(404);
  });
});
