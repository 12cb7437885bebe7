/**
 * The adapters against the simulator over real sockets: the real SDK clients and client-node, with
 * endpoints taken only from the SDK's standard environment settings.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterRef, ConflictError, SessionError } from '@eks-auth-hub/core';
import type { WorldFile } from '@eks-auth-hub/sim';
import { demoWorld } from '@eks-auth-hub/testing';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { describe, expect, it } from 'vitest';
import { KubeAwsAuthStore } from '../src/kube-aws-auth-store.js';
import { type AwsPorts, createAwsPorts } from '../src/ports.js';
import { rejection } from './rejection.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const hub = { roleName: 'eks-auth-hub-spoke', externalId: 'example-external-id', sessionName: 'eks-auth-hub' };
const prod: ClusterRef = { account: '111122223333', region: 'eu-west-1', name: 'payments-prod', partition: 'aws' };
const staging: ClusterRef = { ...prod, name: 'payments-staging' };
const analytics: ClusterRef = { account: '444455556666', region: 'us-east-1', name: 'analytics', partition: 'aws' };

function world(pageSize: number): WorldFile {
  return { ...demoWorld(), settings: { maxListRolesPageSize: pageSize, maxEksPageSize: 1 } };
}

let clock = Date.now();
const ports = (): AwsPorts => createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000, clock: { now: () => new Date(clock) } });

const h = useSimulator(() => world(2));

describe('StsAccountSessions', () => {
  it('assumes the spoke role once per account and reuses the session until shortly before expiry', async () => {
    const p = ports();
    await p.sessions.open('111122223333', 'aws');
    const first = await p.sessions.credentials('111122223333', 'aws');
    await Promise.all([p.sessions.open('111122223333', 'aws'), p.sessions.open('111122223333', 'aws')]);
    expect(p.sessions.assumeRoleCalls).toBe(1);
    expect(first.accessKeyId).toMatch(/^ASIA/);
    clock += 56 * 60_000; // within 5 minutes of the one-hour expiry
    const second = await p.sessions.credentials('111122223333', 'aws');
    expect(p.sessions.assumeRoleCalls).toBe(2);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    clock = Date.now();
  });

  it('fails a refused account with a terminal error and does not cache the failure', async () => {
    const p = createAwsPorts({ hub: { ...hub, externalId: 'wrong' }, maxAttempts: 1 });
    const error = await rejection(p.sessions.open('111122223333', 'aws'));
    // STS says AccessDenied alike for a missing role, a trust policy that does not name the hub and a wrong ExternalId.
    expect(error).toMatchObject({ kind: 'terminal', code: 'sts.role-unavailable' });
    expect(error).toBeInstanceOf(SessionError);
    expect(error.message).toContain('sts:AssumeRole arn:aws:iam::111122223333:role/eks-auth-hub-spoke: AccessDenied');
    expect(error.message).toContain(
      "the role does not exist, or its trust policy does not let the hub's principal assume it with the configured ExternalId (STS does not say which)",
    );
    expect(error.message).toContain('STS: User: arn:aws:iam::999988887777:user/eks-auth-hub is not authorized to perform: sts:AssumeRole');
    await rejection(p.sessions.open('111122223333', 'aws'));
    expect(p.sessions.assumeRoleCalls).toBe(2);
  });

  it('renews a kept session refused mid-pass once: concurrent refusals share one AssumeRole, a second refusal in the pass stands', async () => {
    const p = createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000, sessionRefreshBackoffMs: 10 });
    const account = '444455556666';
    await p.sessions.open(account, 'aws');
    await p.sessions.open(account, 'aws'); // the next pass: the session is kept from the last one
    h.sim.control.revokeSessions(account, 'eks-auth-hub-spoke');
    const listings = await Promise.all([1, 2, 3].map(() => p.roles.listSsoRoles(account, 'aws')));
    expect(listings.every((roles) => roles.length > 0)).toBe(true);
    expect(p.sessions.assumeRoleCalls).toBe(2);
    expect(p.sessions.refreshes).toBe(1);
    // Refused again in the same pass: no second renewal, the refusal is the call's error.
    await new Promise((resolve) => setTimeout(resolve, 5));
    h.sim.control.revokeSessions(account, 'eks-auth-hub-spoke');
    expect(await rejection(p.roles.listSsoRoles(account, 'aws'))).toMatchObject({ code: 'aws.access-denied' });
    expect(p.sessions.assumeRoleCalls).toBe(2);
    // The next pass may renew it again.
    await p.sessions.open(account, 'aws');
    await p.roles.listSsoRoles(account, 'aws');
    expect(p.sessions.assumeRoleCalls).toBe(3);
  });

  it('renews a session assumed earlier in the same pass (revoked mid-pass), and never outside a pass', async () => {
    const p = createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000, sessionRefreshBackoffMs: 10 });
    const account = '444455556666';
    await p.sessions.open(account, 'aws');
    await new Promise((resolve) => setTimeout(resolve, 5));
    h.sim.control.revokeSessions(account, 'eks-auth-hub-spoke');
    expect((await p.clusters.describe(analytics)).endpoint).toMatch(/^https:/);
    expect(p.sessions.assumeRoleCalls).toBe(2);
    // Without open() (the CLI's token command, the recovery role) a refusal is never renewed.
    const outside = createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000, sessionRefreshBackoffMs: 10 });
    await outside.sessions.credentials(account, 'aws');
    await new Promise((resolve) => setTimeout(resolve, 5));
    h.sim.control.revokeSessions(account, 'eks-auth-hub-spoke');
    const error = await rejection(outside.clusters.describe(analytics));
    expect(error).toMatchObject({ code: 'aws.access-denied' });
    expect(error.message).toContain(
      'AccessDeniedException: User: arn:aws:sts::444455556666:assumed-role/eks-auth-hub-spoke/eks-auth-hub is not authorized to perform: eks:DescribeCluster',
    );
    expect(outside.sessions.assumeRoleCalls).toBe(1);
    expect(outside.sessions.refreshes).toBe(0);
  });
});

describe('IamRoleDirectory', () => {
  it('lists every SSO role across pages (simulator pages of 2), paths included', async () => {
    const p = ports();
    const roles = await p.roles.listSsoRoles('111122223333', 'aws');
    const expected = [...h.sim.world.account('111122223333').roles.values()].filter((r) => r.permissionSet !== undefined);
    expect(roles.map((r) => r.arn).sort()).toEqual(expected.map((r) => r.arn).sort());
    expect(roles.some((r) => r.path === '/aws-reserved/sso.amazonaws.com/eu-west-1/')).toBe(true);
    expect(p.roles.listRolesCalls).toBe(Math.ceil(expected.length / 2));
  });

  it('turns a throttled listing into a transient error, never a short list', async () => {
    h.sim.control.setFault('iam:ListRoles', { throttleRate: 1 });
    try {
      const error = await rejection(ports().roles.listSsoRoles('111122223333', 'aws'));
      expect(error).toMatchObject({ kind: 'transient', code: 'aws.throttled' });
    } finally {
      h.sim.control.clearFaults();
    }
  });
});

describe('EksClusterDirectory', () => {
  it('describes a cluster: endpoint, CA and authentication mode', async () => {
    const endpoint = await ports().clusters.describe(prod);
    expect(endpoint.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/k8s\/[0-9a-f]+$/);
    expect(endpoint.caPem).toBe(h.sim.caPem);
    expect(endpoint.authenticationMode).toBe('API_AND_CONFIG_MAP');
  });

  it('lists node roles of node groups and Fargate profiles across pages', async () => {
    const roles = await ports().clusters.nodeRoles(prod);
    expect([...roles].sort((a, b) => (a.roleArn < b.roleArn ? -1 : 1))).toEqual([
      {
        kind: 'nodegroup',
        name: 'linux-general',
        roleArn: 'arn:aws:iam::111122223333:role/eks/payments-node',
        amiType: 'AL2023_x86_64_STANDARD',
      },
      { kind: 'fargate', name: 'batch', roleArn: 'arn:aws:iam::111122223333:role/payments-pod-exec' },
      {
        kind: 'nodegroup',
        name: 'windows',
        roleArn: 'arn:aws:iam::111122223333:role/payments-windows-node',
        amiType: 'WINDOWS_CORE_2022_x86_64',
      },
    ]);
  });

  it('reports a missing cluster as not found', async () => {
    const error = await rejection(ports().clusters.describe({ ...prod, name: 'nope' }));
    expect(error).toMatchObject({ kind: 'terminal', code: 'aws.not-found' });
  });
});

describe('KubeAwsAuthStore', () => {
  it('reads, creates, replaces at the read version, and reports a stale write as a conflict', async () => {
    const p = ports();
    const endpoint = await p.clusters.describe(analytics);
    expect(await p.awsAuth.read(analytics, endpoint)).toBeNull();
    const data = {
      mapRoles: '- rolearn: arn:aws:iam::444455556666:role/eks-auth-hub-spoke\n  username: hub\n  groups: [system:masters]\n',
    };
    await p.awsAuth.write(analytics, endpoint, { create: true, resourceVersion: undefined, data, annotations: { a: '1' } });
    const read = await p.awsAuth.read(analytics, endpoint);
    expect(read).toMatchObject({ data, annotations: { a: '1' } });
    await p.awsAuth.write(analytics, endpoint, {
      create: false,
      resourceVersion: read?.resourceVersion,
      data: { ...data, notes: 'x' },
      annotations: { a: '2' },
    });
    expect(h.sim.control.readAwsAuth({ account: analytics.account, region: analytics.region, cluster: analytics.name })).toMatchObject({
      data: { notes: 'x' },
      annotations: { a: '2' },
    });
    const conflict = await rejection(
      p.awsAuth.write(analytics, endpoint, { create: false, resourceVersion: read?.resourceVersion, data, annotations: {} }),
    );
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.kind).toBe('transient');
    const exists = await rejection(
      p.awsAuth.write(analytics, endpoint, { create: true, resourceVersion: undefined, data, annotations: {} }),
    );
    expect(exists).toBeInstanceOf(ConflictError);
  });

  it('keeps labels it does not manage when it replaces', async () => {
    const ref = { account: staging.account, region: staging.region, cluster: staging.name };
    const p = ports();
    const endpoint = await p.clusters.describe(staging);
    const cluster = h.sim.world.cluster(staging.account, staging.region, staging.name);
    const live = cluster.configMaps.get('kube-system/aws-auth');
    if (live === undefined) throw new Error('no aws-auth');
    live.labels = { team: 'payments' };
    const read = await p.awsAuth.read(staging, endpoint);
    await p.awsAuth.write(staging, endpoint, {
      create: false,
      resourceVersion: read?.resourceVersion,
      data: read?.data ?? {},
      annotations: { b: '1' },
    });
    expect(cluster.configMaps.get('kube-system/aws-auth')?.labels).toEqual({ team: 'payments' });
    expect(h.sim.control.readAwsAuth(ref)?.annotations).toEqual({ b: '1' });
  });

  it('reads binaryData and immutable, and keeps what it does not manage when it replaces, even without its own copy of the object', async () => {
    const ref = { account: staging.account, region: staging.region, cluster: staging.name };
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'seed', uid: '6c1f3a52-0d4b-4f8e-9a51-0f6c2b7e9d11' };
    const managedFields = [
      { manager: 'eksctl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
    ];
    h.sim.control.putConfigMap(ref, {
      metadata: {
        name: 'aws-auth',
        namespace: 'kube-system',
        labels: { team: 'payments' },
        ownerReferences: [owner],
        finalizers: ['example.com/keep'],
        managedFields,
      },
      data: { mapRoles: '[]', 'notes.md': 'ask #platform' },
      binaryData: { 'logo.png': 'iVBORw==' },
      immutable: false,
    });
    const p = ports();
    const endpoint = await p.clusters.describe(staging);
    const read = await p.awsAuth.read(staging, endpoint);
    expect(read).toMatchObject({ binaryData: { 'logo.png': 'iVBORw==' }, immutable: false });
    // A store that did not read it itself (it has no copy to take the other fields from) still keeps every field.
    const other = ports();
    await other.awsAuth.write(staging, endpoint, {
      create: false,
      resourceVersion: read?.resourceVersion,
      data: { mapRoles: '[]', 'notes.md': 'ask #platform' },
      annotations: { b: '2' },
    });
    const after = h.sim.control.readConfigMap(ref, 'kube-system', 'aws-auth');
    expect(after).toMatchObject({
      metadata: {
        labels: { team: 'payments' },
        annotations: { b: '2' },
        ownerReferences: [owner],
        finalizers: ['example.com/keep'],
        managedFields,
      },
      binaryData: { 'logo.png': 'iVBORw==' },
      immutable: false,
    });
    // The first store's write is stale now: 409, and nothing it holds is written.
    const stale = await rejection(
      p.awsAuth.write(staging, endpoint, { create: false, resourceVersion: read?.resourceVersion, data: {}, annotations: {} }),
    );
    expect(stale).toBeInstanceOf(ConflictError);
    h.sim.control.putConfigMap(ref, { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: read?.data ?? {} });
  });

  it('keeps the last read object of the most recently read clusters only; a write whose read was let go reads it again and still keeps every field', async () => {
    const ref = { account: staging.account, region: staging.region, cluster: staging.name };
    const p = createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000 });
    const store = new KubeAwsAuthStore(p.tokens, { maxAttempts: 1, readsKept: 1 });
    const endpoint = await p.clusters.describe(staging);
    const live = h.sim.world.cluster(staging.account, staging.region, staging.name).configMaps.get('kube-system/aws-auth');
    if (live === undefined) throw new Error('no aws-auth');
    live.labels = { team: 'platform' };
    const read = await store.read(staging, endpoint);
    // Writing right after the read uses the kept object: no second read.
    await store.write(staging, endpoint, {
      create: false,
      resourceVersion: read?.resourceVersion,
      data: read?.data ?? {},
      annotations: { c: '1' },
    });
    expect(store.calls).toEqual({ get: 1, update: 1 });
    const again = await store.read(staging, endpoint);
    await store.read(prod, await p.clusters.describe(prod)); // the only kept read is prod's now
    await store.write(staging, endpoint, {
      create: false,
      resourceVersion: again?.resourceVersion,
      data: again?.data ?? {},
      annotations: { c: '2' },
    });
    expect(store.calls).toEqual({ get: 4, update: 2 });
    expect(h.sim.world.cluster(staging.account, staging.region, staging.name).configMaps.get('kube-system/aws-auth')?.labels).toEqual({
      team: 'platform',
    });
    expect(h.sim.control.readAwsAuth(ref)?.annotations).toEqual({ c: '2' });
  });

  it('reports the API server refusing a write to an immutable aws-auth with its reason', async () => {
    const ref = { account: staging.account, region: staging.region, cluster: staging.name };
    const data = { mapRoles: '[]' };
    h.sim.control.putConfigMap(ref, { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data, immutable: true });
    try {
      const p = ports();
      const endpoint = await p.clusters.describe(staging);
      const read = await p.awsAuth.read(staging, endpoint);
      expect(read?.immutable).toBe(true);
      const error = await rejection(
        p.awsAuth.write(staging, endpoint, {
          create: false,
          resourceVersion: read?.resourceVersion,
          data: { mapRoles: '- rolearn: x\n' },
          annotations: {},
        }),
      );
      expect(error).toMatchObject({ kind: 'terminal', code: 'kube.rejected' });
      expect(error.message).toBe(
        'replace kube-system/aws-auth of payments-staging: HTTP 422 Invalid: ConfigMap "aws-auth" is invalid: data: Forbidden: field is immutable when `immutable` is set',
      );
      expect(h.sim.control.readAwsAuth(ref)?.data).toEqual(data);
    } finally {
      h.sim.control.putConfigMap(ref, { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data });
    }
  });

  it('is refused with a terminal error when the live aws-auth does not map the hub', async () => {
    // payments-prod was created by another role: only its aws-auth lets the hub in.
    const ref = { account: prod.account, region: prod.region, cluster: prod.name };
    const before = h.sim.control.readAwsAuth(ref);
    h.sim.control.editAwsAuth(ref, { mapRoles: '[]' });
    try {
      const p = ports();
      const error = await rejection(p.awsAuth.read(prod, await p.clusters.describe(prod)));
      expect(error).toMatchObject({ kind: 'terminal', code: 'kube.unauthorized' });
      expect(error.message).toContain('HTTP 401 Unauthorized');
      expect(error.message).toContain('docs/deploy.md "6. Onboarding a cluster"');
    } finally {
      h.sim.control.editAwsAuth(ref, before?.data ?? {});
    }
  });

  it('verifies TLS with the cluster CA: another CA fails as a TLS error', async () => {
    const p = ports();
    const endpoint = await p.clusters.describe(prod);
    const otherCa = readFileSync(join(repo, 'packages', 'aws', 'test', 'fixtures', 'other-ca.pem'), 'utf8');
    const error = await rejection(p.awsAuth.read(prod, { ...endpoint, caPem: otherCa }));
    expect(error).toMatchObject({ kind: 'terminal', code: 'kube.tls' });
  });

  it('gives up on a hanging API server after its timeout, as a transient error', async () => {
    h.sim.control.setFault('k8s:get', { hangRate: 1 });
    try {
      const p = createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 300 });
      const endpoint = await p.clusters.describe(prod);
      const error = await rejection(p.awsAuth.read(prod, endpoint));
      expect(error).toMatchObject({ kind: 'transient', code: 'kube.timeout' });
    } finally {
      h.sim.control.clearFaults();
    }
  });

  it('tries a 5xx or a reset connection again within the pass, and succeeds once the server answers', async () => {
    for (const fault of [{ errorRate: 1 }, { resetRate: 1 }]) {
      h.sim.control.setFault('k8s:get', fault);
      const outcomes: string[] = [];
      try {
        const observer = {
          aws: (): void => undefined,
          kube: (verb: string, code: string): void => {
            outcomes.push(`${verb} ${code}`);
            h.sim.control.clearFaults(); // the server recovers after the first failure
          },
        };
        const p = createAwsPorts({ hub, maxAttempts: 3, requestTimeoutMs: 2_000, observer });
        const endpoint = await p.clusters.describe(prod);
        const observedAuth = await p.awsAuth.read(prod, endpoint);
        expect(observedAuth?.data['mapRoles']).toContain('rolearn');
        expect(outcomes).toEqual([fault.errorRate === 1 ? 'get 500' : 'get network', 'get 200']);
      } finally {
        h.sim.control.clearFaults();
      }
    }
  });

  it('gives up after maxAttempts and never retries a refusal', async () => {
    h.sim.control.setFault('k8s:get', { errorRate: 1 });
    try {
      const p = createAwsPorts({ hub, maxAttempts: 3, requestTimeoutMs: 2_000 });
      const endpoint = await p.clusters.describe(prod);
      const error = await rejection(p.awsAuth.read(prod, endpoint));
      expect(error).toMatchObject({ kind: 'transient', code: 'kube.unavailable' });
      expect(p.awsAuth.calls['get']).toBe(3);
    } finally {
      h.sim.control.clearFaults();
    }
    const ref = { account: prod.account, region: prod.region, cluster: prod.name };
    const before = h.sim.control.readAwsAuth(ref);
    h.sim.control.editAwsAuth(ref, { mapRoles: '[]' });
    try {
      const p = createAwsPorts({ hub, maxAttempts: 3, requestTimeoutMs: 2_000 });
      const error = await rejection(p.awsAuth.read(prod, await p.clusters.describe(prod)));
      expect(error).toMatchObject({ code: 'kube.unauthorized' });
      expect(p.awsAuth.calls['get']).toBe(1);
    } finally {
      h.sim.control.editAwsAuth(ref, before?.data ?? {});
    }
  });

  it('never leaks a secret or token into an error message', async () => {
    h.sim.control.setFault('k8s:get', { errorRate: 1 });
    try {
      const p = ports();
      const endpoint = await p.clusters.describe(prod);
      const error = await rejection(p.awsAuth.read(prod, endpoint));
      expect(error).toMatchObject({ kind: 'transient', code: 'kube.unavailable' });
      const creds = await p.sessions.credentials(prod.account, 'aws');
      for (const secret of [creds.secretAccessKey, creds.sessionToken, await p.tokens.token(prod)])
        expect(error.message).not.toContain(secret);
    } finally {
      h.sim.control.clearFaults();
    }
  });
});
