/** EKS over the wire: clusters per signing region, DescribeCluster fields, node groups, Fargate profiles, errors, paging. */

import {
  DescribeClusterCommand,
  DescribeFargateProfileCommand,
  DescribeNodegroupCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListFargateProfilesCommand,
  ListNodegroupsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorldFileInput } from '../src/world-schema.js';
import { assumeSpoke, type Creds, demoWorld, eks, hubCreds } from './helpers.js';
import { caught, expectSdkError } from './wire.js';

const PAYMENTS = '111122223333';
const ANALYTICS = '444455556666';
const PLATFORM = '555566667777';
const MANY = 7;

/** The demo world with EKS pages of at most 2, seven more clusters in analytics/us-west-2, one with many node groups. */
function world(): WorldFileInput {
  const base = demoWorld();
  const node = `arn:aws:iam::${ANALYTICS}:role/analytics-node`;
  const extra = Array.from({ length: MANY }, (_, i) => ({
    name: `batch-${i}`,
    region: 'us-west-2',
    creator: `arn:aws:iam::${ANALYTICS}:role/eks-auth-hub-spoke`,
    nodegroups: i === 0 ? Array.from({ length: 5 }, (_, j) => ({ name: `ng-${j}`, nodeRole: node })) : [],
    fargateProfiles:
      i === 0
        ? Array.from({ length: 3 }, (_, j) => ({ name: `fp-${j}`, podExecutionRoleArn: `arn:aws:iam::${ANALYTICS}:role/airflow-pod-exec` }))
        : [],
  }));
  return {
    ...base,
    settings: { ...base.settings, maxEksPageSize: 2 },
    accounts: base.accounts.map((a) => (a.id === ANALYTICS ? { ...a, clusters: [...a.clusters, ...extra] } : a)),
  };
}

const h = useSimulator(world, { env: false });
let payments: Creds;
let analytics: Creds;
let platform: Creds;
beforeAll(async () => {
  [payments, analytics, platform] = await Promise.all([
    assumeSpoke(h.sim, PAYMENTS),
    assumeSpoke(h.sim, ANALYTICS),
    assumeSpoke(h.sim, PLATFORM),
  ]);
});

async function listClusters(creds: Creds, region: string, maxResults?: number): Promise<string[][]> {
  const pages: string[][] = [];
  let nextToken: string | undefined;
  do {
    const out = await eks(h.sim, creds, region).send(
      new ListClustersCommand({ ...(maxResults === undefined ? {} : { maxResults }), ...(nextToken === undefined ? {} : { nextToken }) }),
    );
    pages.push(out.clusters ?? []);
    nextToken = out.nextToken;
  } while (nextToken !== undefined && pages.length < 50);
  return pages;
}

describe('ListClusters', () => {
  it('lists the clusters of the signer account in the signing region', async () => {
    expect((await listClusters(payments, 'eu-west-1')).flat()).toEqual(['payments-prod', 'payments-staging']);
    expect((await listClusters(payments, 'us-east-1')).flat()).toEqual([]);
    expect((await listClusters(analytics, 'us-east-1')).flat()).toEqual(['analytics']);
    expect((await listClusters(analytics, 'eu-west-1')).flat()).toEqual(['ml-training']);
    expect((await listClusters(platform, 'eu-central-1')).flat()).toEqual(['platform-tools', 'sandbox']);
    expect((await listClusters(hubCreds(h.sim), 'eu-west-1')).flat()).toEqual([]);
  });

  it('pages with nextToken under the page cap, every cluster once', async () => {
    const pages = await listClusters(analytics, 'us-west-2');
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat()).toEqual(Array.from({ length: MANY }, (_, i) => `batch-${i}`));
    const single = await listClusters(analytics, 'us-west-2', 1);
    expect(single).toHaveLength(MANY);
    expect(single.flat()).toEqual(pages.flat());
  });

  it('refuses maxResults out of range and a nextToken it did not issue', async () => {
    const tooMany = await caught(eks(h.sim, analytics, 'us-west-2').send(new ListClustersCommand({ maxResults: 101 })));
    expect(tooMany).toBeInstanceOf(InvalidParameterException);
    expectSdkError(tooMany, 'InvalidParameterException', 400);
    const badToken = await caught(eks(h.sim, analytics, 'us-west-2').send(new ListClustersCommand({ nextToken: 'garbage' })));
    expect(badToken).toBeInstanceOf(InvalidParameterException);
    expectSdkError(badToken, 'InvalidParameterException', 400);
  });
});

describe('DescribeCluster', () => {
  it('reports endpoint, CA, authentication mode and creation time', async () => {
    const out = await eks(h.sim, payments).send(new DescribeClusterCommand({ name: 'payments-prod' }));
    const c = out.cluster;
    expect(c?.name).toBe('payments-prod');
    expect(c?.arn).toBe(`arn:aws:eks:eu-west-1:${PAYMENTS}:cluster/payments-prod`);
    expect(c?.status).toBe('ACTIVE');
    expect(c?.version).toBe('1.31');
    expect(c?.endpoint).toMatch(new RegExp(`^${h.sim.kubeEndpoint.replace(/[.]/g, '\\.')}/k8s/[0-9a-f]+$`));
    const ca = Buffer.from(c?.certificateAuthority?.data ?? '', 'base64').toString('utf8');
    expect(ca).toBe(h.sim.caPem);
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(c?.accessConfig?.authenticationMode).toBe('API_AND_CONFIG_MAP');
    expect(c?.createdAt).toBeInstanceOf(Date);
    expect(c?.createdAt?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('reports each cluster its own mode, version and endpoint', async () => {
    const ml = (await eks(h.sim, analytics).send(new DescribeClusterCommand({ name: 'ml-training' }))).cluster;
    expect(ml?.accessConfig?.authenticationMode).toBe('CONFIG_MAP');
    expect(ml?.version).toBe('1.30');
    const sandbox = (await eks(h.sim, platform, 'eu-central-1').send(new DescribeClusterCommand({ name: 'sandbox' }))).cluster;
    expect(sandbox?.accessConfig?.authenticationMode).toBe('API');
    expect(sandbox?.endpoint).not.toBe(ml?.endpoint);
  });

  it('answers ResourceNotFoundException for a missing cluster, or one in another region or account', async () => {
    for (const [creds, region, name] of [
      [payments, 'eu-west-1', 'no-such-cluster'],
      [payments, 'us-east-1', 'payments-prod'],
      [analytics, 'eu-west-1', 'payments-prod'],
    ] as const) {
      const error = await caught(eks(h.sim, creds, region).send(new DescribeClusterCommand({ name })));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      const e = expectSdkError(error, 'ResourceNotFoundException', 404);
      expect(e.message).toContain(name);
    }
  });
});

describe('node groups and Fargate profiles', () => {
  it('lists and describes node groups', async () => {
    const list = await eks(h.sim, payments).send(new ListNodegroupsCommand({ clusterName: 'payments-prod' }));
    expect(list.nodegroups).toEqual(['linux-general', 'windows']);
    const linux = (
      await eks(h.sim, payments).send(new DescribeNodegroupCommand({ clusterName: 'payments-prod', nodegroupName: 'linux-general' }))
    ).nodegroup;
    expect(linux?.nodeRole).toBe(`arn:aws:iam::${PAYMENTS}:role/eks/payments-node`);
    expect(linux?.amiType).toBe('AL2023_x86_64_STANDARD');
    expect(linux?.clusterName).toBe('payments-prod');
    expect(linux?.createdAt).toBeInstanceOf(Date);
    const windows = (
      await eks(h.sim, payments).send(new DescribeNodegroupCommand({ clusterName: 'payments-prod', nodegroupName: 'windows' }))
    ).nodegroup;
    expect(windows?.nodeRole).toBe(`arn:aws:iam::${PAYMENTS}:role/payments-windows-node`);
    expect(windows?.amiType).toBe('WINDOWS_CORE_2022_x86_64');
    const missing = await caught(
      eks(h.sim, payments).send(new DescribeNodegroupCommand({ clusterName: 'payments-prod', nodegroupName: 'gpu' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    const noCluster = await caught(eks(h.sim, payments).send(new ListNodegroupsCommand({ clusterName: 'nope' })));
    expect(noCluster).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists and describes Fargate profiles', async () => {
    const list = await eks(h.sim, payments).send(new ListFargateProfilesCommand({ clusterName: 'payments-prod' }));
    expect(list.fargateProfileNames).toEqual(['batch']);
    const fp = (
      await eks(h.sim, payments).send(new DescribeFargateProfileCommand({ clusterName: 'payments-prod', fargateProfileName: 'batch' }))
    ).fargateProfile;
    expect(fp?.podExecutionRoleArn).toBe(`arn:aws:iam::${PAYMENTS}:role/payments-pod-exec`);
    expect(fp?.clusterName).toBe('payments-prod');
    expect(
      (await eks(h.sim, payments).send(new ListFargateProfilesCommand({ clusterName: 'payments-staging' }))).fargateProfileNames,
    ).toEqual([]);
    const missing = await caught(
      eks(h.sim, payments).send(new DescribeFargateProfileCommand({ clusterName: 'payments-prod', fargateProfileName: 'nope' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('pages node groups and Fargate profiles under the page cap', async () => {
    const client = eks(h.sim, analytics, 'us-west-2');
    const groups: string[][] = [];
    let token: string | undefined;
    do {
      const out = await client.send(
        new ListNodegroupsCommand({ clusterName: 'batch-0', ...(token === undefined ? {} : { nextToken: token }) }),
      );
      groups.push(out.nodegroups ?? []);
      token = out.nextToken;
    } while (token !== undefined && groups.length < 10);
    expect(groups.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(groups.flat()).toEqual(['ng-0', 'ng-1', 'ng-2', 'ng-3', 'ng-4']);
    const first = await client.send(new ListFargateProfilesCommand({ clusterName: 'batch-0' }));
    expect(first.fargateProfileNames).toEqual(['fp-0', 'fp-1']);
    const second = await client.send(new ListFargateProfilesCommand({ clusterName: 'batch-0', nextToken: first.nextToken }));
    expect(second.fargateProfileNames).toEqual(['fp-2']);
    expect(second.nextToken).toBeUndefined();
  });
});

describe('request authentication', () => {
  it('refuses a bad signature, an unknown key and a tampered session token', async () => {
    const badSecret = await caught(eks(h.sim, { ...payments, secretAccessKey: 'z'.repeat(40) }).send(new ListClustersCommand({})));
    expectSdkError(badSecret, 'InvalidSignatureException', 403);
    const unknown = await caught(
      eks(h.sim, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'z'.repeat(40) }).send(new ListClustersCommand({})),
    );
    expectSdkError(unknown, 'UnrecognizedClientException', 403);
    const tampered = await caught(
      eks(h.sim, { ...payments, sessionToken: `${payments.sessionToken ?? ''}x` }).send(new ListClustersCommand({})),
    );
    expectSdkError(tampered, 'UnrecognizedClientException', 403);
  });

  it('refuses an expired session with ExpiredTokenException', async () => {
    h.sim.control.advanceClock(3700);
    try {
      const error = await caught(eks(h.sim, payments).send(new ListClustersCommand({})));
      expectSdkError(error, 'ExpiredTokenException', 403);
    } finally {
      h.sim.control.advanceClock(-3700);
    }
  });
});
