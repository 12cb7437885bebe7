/** Fault injection set over HTTP (`PUT/DELETE /_sim/faults`), as the SDK clients and client-node see it. */

import { DescribeClusterCommand, ListClustersCommand, ServerException } from '@aws-sdk/client-eks';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { type CoreV1Api, FetchError } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Faults } from '../src/faults.js';
import { assumeSpoke, type Creds, demoWorld, eks, iam, sts } from './helpers.js';
import { caught, clusterEndpoint, control, expectSdkError, expectStatus, freshClient, readAwsAuth } from './wire.js';

const PAYMENTS = '111122223333';

const h = useSimulator(demoWorld, { env: false });
let spoke: Creds;
let kube: CoreV1Api;
beforeAll(async () => {
  spoke = await assumeSpoke(h.sim, PAYMENTS);
  kube = await freshClient(h.sim, await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-prod'), spoke, 'payments-prod');
});
afterEach(async () => {
  expect((await control(h.sim, 'DELETE', 'faults')).status).toBe(200);
});

async function setFaults(specs: Record<string, Record<string, number>>): Promise<void> {
  const { status } = await control(h.sim, 'PUT', 'faults', specs);
  expect(status).toBe(200);
}

const listRoles = (): Promise<unknown> => iam(h.sim, spoke).send(new ListRolesCommand({}));

describe('AWS faults', () => {
  it('throttleRate 1 answers the service throttling error; clearing faults restores', async () => {
    await setFaults({ 'iam:ListRoles': { throttleRate: 1 } });
    for (let i = 0; i < 3; i++) {
      const e = expectSdkError(await caught(listRoles()), 'Throttling', 400);
      expect(e.message).toBe('Rate exceeded');
    }
    // Only the named operation is affected.
    expect((await sts(h.sim, spoke).send(new GetCallerIdentityCommand({}))).Account).toBe(PAYMENTS);
    const injected = await control(h.sim, 'GET', 'faults/injected');
    expect(injected.json).toMatchObject({ throttle: 3 });

    await control(h.sim, 'DELETE', 'faults');
    expect(await listRoles()).toMatchObject({ $metadata: { httpStatusCode: 200 } });
  });

  it('EKS throttling is ThrottlingException with 429', async () => {
    await setFaults({ 'eks:ListClusters': { throttleRate: 1 } });
    expectSdkError(await caught(eks(h.sim, spoke).send(new ListClustersCommand({}))), 'ThrottlingException', 429);
  });

  it('errorRate 1 answers a 5xx server fault', async () => {
    await setFaults({ 'sts:GetCallerIdentity': { errorRate: 1 }, 'eks:*': { errorRate: 1 } });
    const stsError = expectSdkError(await caught(sts(h.sim, spoke).send(new GetCallerIdentityCommand({}))), 'InternalFailure', 500);
    expect(stsError.$fault).toBe('server');
    const eksError = await caught(eks(h.sim, spoke).send(new DescribeClusterCommand({ name: 'payments-prod' })));
    expect(eksError).toBeInstanceOf(ServerException);
    expectSdkError(eksError, 'ServerException', 500);
    // IAM is not covered by either spec.
    expect(await listRoles()).toMatchObject({ $metadata: { httpStatusCode: 200 } });
  });

  it('resetRate 1 drops the connection: a network error without an HTTP status', async () => {
    await setFaults({ 'iam:ListRoles': { resetRate: 1 } });
    const error = await caught(listRoles());
    expect(error).toBeInstanceOf(Error);
    const e = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
    expect(e.code).toBe('ECONNRESET');
    expect(e.$metadata?.httpStatusCode).toBeUndefined();
    const counters = (await control(h.sim, 'GET', 'counters')).json as Record<string, { outcomes: Record<string, number> }>;
    expect(counters['iam:ListRoles']?.outcomes['reset']).toBe(1);
  });

  it('hangRate 1 never answers: the client timeout fires', async () => {
    await setFaults({ 'iam:ListRoles': { hangRate: 1 } });
    const client = new IAMClient({
      region: 'us-east-1',
      endpoint: h.sim.awsEndpoint,
      credentials: spoke,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    const error = await caught(client.send(new ListRolesCommand({})));
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
  });

  it('latencyMs delays the answer', async () => {
    await setFaults({ 'eks:DescribeCluster': { latencyMs: 300 } });
    const client = eks(h.sim, spoke);
    const started = performance.now();
    const out = await client.send(new DescribeClusterCommand({ name: 'payments-prod' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(out.cluster?.name).toBe('payments-prod');
    expect(((await control(h.sim, 'GET', 'faults/injected')).json as Record<string, number>)['latency']).toBeGreaterThanOrEqual(1);
  });

  it('the most specific spec wins over a service and a global one', async () => {
    await setFaults({ '*': { errorRate: 1 }, 'eks:*': { throttleRate: 1 }, 'eks:ListClusters': {} });
    expect((await eks(h.sim, spoke).send(new ListClustersCommand({}))).clusters).toEqual(['payments-prod', 'payments-staging']);
    expectSdkError(await caught(eks(h.sim, spoke).send(new DescribeClusterCommand({ name: 'payments-prod' }))), 'ThrottlingException', 429);
    expectSdkError(await caught(listRoles()), 'InternalFailure', 500);
  });

  it('refuses a rate outside 0..1 and an unknown fault kind', async () => {
    expect((await control(h.sim, 'PUT', 'faults', { 'iam:ListRoles': { errorRate: 2 } })).status).toBe(400);
    expect((await control(h.sim, 'PUT', 'faults', { 'iam:ListRoles': { explodeRate: 1 } })).status).toBe(400);
    expect(await listRoles()).toMatchObject({ $metadata: { httpStatusCode: 200 } });
  });
});

describe('Kubernetes faults', () => {
  it('throttling is 429 TooManyRequests, errors 500 InternalError; clearing restores', async () => {
    await setFaults({ 'k8s:get': { throttleRate: 1 } });
    expectStatus(await caught(readAwsAuth(kube)), 429, 'TooManyRequests');
    await setFaults({ 'k8s:get': { errorRate: 1 } });
    expectStatus(await caught(readAwsAuth(kube)), 500, 'InternalError');
    // Writes are a different operation.
    expect((await kube.listNamespacedConfigMap({ namespace: 'kube-system' })).items).toHaveLength(1);
    await control(h.sim, 'DELETE', 'faults');
    expect((await readAwsAuth(kube)).metadata?.name).toBe('aws-auth');
  });

  it('resetRate 1 drops the connection', async () => {
    await setFaults({ 'k8s:*': { resetRate: 1 } });
    const error = await caught(readAwsAuth(kube));
    expect(error).toBeInstanceOf(Error);
    // client-node surfaces it as node-fetch's FetchError, not as an ApiException.
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ type: 'system', code: 'ECONNRESET' });
  });
});

describe('fault specs in process', () => {
  it('each decision follows the specs as they are now, whatever was decided before', () => {
    const faults = new Faults(7);
    expect(faults.decide('eks:DescribeCluster')).toEqual({ delayMs: 0, action: 'none' });
    faults.set('*', { errorRate: 1 });
    expect(faults.decide('eks:DescribeCluster').action).toBe('error');
    faults.set('eks:*', { throttleRate: 1 });
    expect(faults.decide('eks:DescribeCluster').action).toBe('throttle');
    expect(faults.decide('iam:ListRoles').action).toBe('error');
    faults.set('eks:DescribeCluster', { latencyMs: 5 });
    expect(faults.decide('eks:DescribeCluster')).toEqual({ delayMs: 5, action: 'none' });
    expect(faults.decide('eks:ListClusters').action).toBe('throttle');
    faults.clear();
    for (const operation of ['eks:DescribeCluster', 'eks:ListClusters', 'iam:ListRoles'])
      expect(faults.decide(operation)).toEqual({ delayMs: 0, action: 'none' });
    // Many distinct operation names (unknown actions are named by the caller) are answered alike.
    faults.set('sts:*', { throttleRate: 1 });
    for (let i = 0; i < 3000; i++) expect(faults.decide(`sts:Action${i}`).action).toBe('throttle');
    expect(faults.decide('k8s:get').action).toBe('none');
  });
});
