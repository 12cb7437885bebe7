/**
 * The real AWS CLI against the simulator: STS, IAM and EKS answers it can parse, and
 * `aws eks get-token` tokens the simulated API servers accept for their own cluster only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  assumeRoleArgs,
  assumeRoleOutput,
  type Credentials,
  Interop,
  kubeGet,
  PAYMENTS_ACCOUNT,
  PAYMENTS_PROD,
  PAYMENTS_STAGING,
  parseOutput,
  REGION,
  SESSION_NAME,
} from './harness.js';

const SSO_PATH = '/aws-reserved/sso.amazonaws.com/';

const callerIdentity = z.object({ UserId: z.string(), Account: z.string(), Arn: z.string() });
const listRoles = z.object({
  Roles: z.array(z.object({ Path: z.string(), RoleName: z.string(), RoleId: z.string(), Arn: z.string(), CreateDate: z.string() })),
  NextToken: z.string().optional(),
});
const describeCluster = z.object({
  cluster: z.object({
    name: z.string(),
    arn: z.string(),
    endpoint: z.string(),
    status: z.string(),
    version: z.string(),
    // awscli v1 prints the epoch number as sent, v2 an ISO timestamp
    createdAt: z.union([z.number(), z.string()]),
    certificateAuthority: z.object({ data: z.string() }),
    // awscli 2.9's EKS model predates access entries (Dec 2023) and drops the member it does not know
    accessConfig: z.object({ authenticationMode: z.string() }).optional(),
  }),
});
const configMap = z.object({
  kind: z.literal('ConfigMap'),
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  data: z.record(z.string(), z.string()),
});
const status = z.object({ kind: z.literal('Status'), status: z.literal('Failure'), reason: z.string(), code: z.number() });

let interop: Interop;
let spoke: Credentials | undefined;

beforeAll(async () => {
  interop = await Interop.start();
});

afterAll(async () => {
  await interop.close();
});

/** The spoke session, assumed once through the CLI (the first test checks that call in detail). */
async function spokeCredentials(): Promise<Credentials> {
  spoke ??= await interop.assumeSpoke();
  return spoke;
}

function endpoint(): string[] {
  return ['--endpoint-url', interop.sim.awsEndpoint];
}

function ssoRoleNames(): string[] {
  const account = interop.sim.world.accounts.get(PAYMENTS_ACCOUNT);
  if (account === undefined) throw new Error(`the demo world has no account ${PAYMENTS_ACCOUNT}`);
  return [...account.roles.values()].filter((r) => r.path.startsWith(SSO_PATH)).map((r) => r.name);
}

describe('aws sts', () => {
  it('assume-role with the external id returns credentials the CLI can use', async () => {
    const before = Date.now();
    const stdout = await interop.awsOk(assumeRoleArgs(interop.sim.awsEndpoint), interop.hub);
    const out = parseOutput(assumeRoleOutput, stdout, 'aws sts assume-role');
    expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${PAYMENTS_ACCOUNT}:assumed-role/eks-auth-hub-spoke/${SESSION_NAME}`);
    expect(out.AssumedRoleUser.AssumedRoleId).toMatch(new RegExp(`^AROA[A-Z0-9]+:${SESSION_NAME}$`));
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA/);
    // v1 prints the timestamp as sent, v2 re-formats it; both must read as about an hour from now
    const expiration = Date.parse(out.Credentials.Expiration);
    expect(expiration).toBeGreaterThan(before + 55 * 60_000);
    expect(expiration).toBeLessThan(Date.now() + 61 * 60_000);
  });

  it('assume-role without the right external id fails with AccessDenied', async () => {
    const result = await interop.aws(assumeRoleArgs(interop.sim.awsEndpoint, 'wrong'), interop.hub);
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toMatch(/AccessDenied/);
    expect(result.stderr).toContain('not authorized to perform: sts:AssumeRole');
  });

  it('get-caller-identity names the hub user, then the assumed role session', async () => {
    const hub = parseOutput(
      callerIdentity,
      await interop.awsOk(['sts', 'get-caller-identity', ...endpoint(), '--output', 'json'], interop.hub),
      'get-caller-identity',
    );
    expect(hub).toMatchObject({ Account: '999988887777', Arn: 'arn:aws:iam::999988887777:user/eks-auth-hub' });

    const me = parseOutput(
      callerIdentity,
      await interop.awsOk(['sts', 'get-caller-identity', ...endpoint(), '--output', 'json'], await spokeCredentials()),
      'get-caller-identity',
    );
    expect(me.Account).toBe(PAYMENTS_ACCOUNT);
    expect(me.Arn).toBe(`arn:aws:sts::${PAYMENTS_ACCOUNT}:assumed-role/eks-auth-hub-spoke/${SESSION_NAME}`);
    expect(me.UserId).toMatch(new RegExp(`^AROA[A-Z0-9]+:${SESSION_NAME}$`));
  });
});

describe('aws iam list-roles', () => {
  const args = (): string[] => ['iam', 'list-roles', '--path-prefix', SSO_PATH, ...endpoint(), '--output', 'json'];

  it("lists the account's Identity Center roles, regional paths included", async () => {
    const out = parseOutput(listRoles, await interop.awsOk(args(), await spokeCredentials()), 'aws iam list-roles');
    expect(out.Roles.map((r) => r.RoleName).sort()).toEqual(ssoRoleNames().sort());
    expect(out.Roles.length).toBe(4);
    expect(out.NextToken).toBeUndefined();
    for (const role of out.Roles) {
      expect(role.Path.startsWith(SSO_PATH)).toBe(true);
      expect(role.Arn).toBe(`arn:aws:iam::${PAYMENTS_ACCOUNT}:role${role.Path}${role.RoleName}`);
      expect(Number.isNaN(Date.parse(role.CreateDate))).toBe(false);
    }
    expect(out.Roles.map((r) => r.Path)).toContain(`${SSO_PATH}eu-west-1/`);
  });

  it('follows IsTruncated/Marker page by page (--page-size 1)', async () => {
    const credentials = await spokeCredentials();
    const callsBefore = interop.sim.control.counters()['iam:ListRoles']?.calls ?? 0;
    const out = parseOutput(
      listRoles,
      await interop.awsOk([...args(), '--page-size', '1'], credentials),
      'aws iam list-roles --page-size 1',
    );
    const calls = (interop.sim.control.counters()['iam:ListRoles']?.calls ?? 0) - callsBefore;
    expect(out.Roles.map((r) => r.RoleName).sort()).toEqual(ssoRoleNames().sort());
    expect(calls).toBe(ssoRoleNames().length);
  });

  it('resumes with --max-items / --starting-token and returns every role once', async () => {
    const credentials = await spokeCredentials();
    const first = parseOutput(
      listRoles,
      await interop.awsOk([...args(), '--page-size', '1', '--max-items', '2'], credentials),
      'list-roles --max-items 2',
    );
    expect(first.Roles).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    const rest = parseOutput(
      listRoles,
      await interop.awsOk([...args(), '--page-size', '1', '--max-items', '10', '--starting-token', first.NextToken ?? ''], credentials),
      'list-roles --starting-token',
    );
    expect(rest.NextToken).toBeUndefined();
    const names = [...first.Roles, ...rest.Roles].map((r) => r.RoleName);
    expect(names.length).toBe(new Set(names).size);
    expect(names.sort()).toEqual(ssoRoleNames().sort());
  });
});

describe('aws eks', () => {
  it('describe-cluster gives the endpoint (with its /k8s/<id> prefix) and the CA', async () => {
    const out = parseOutput(
      describeCluster,
      await interop.awsOk(
        ['eks', 'describe-cluster', '--name', 'payments-prod', '--region', REGION, ...endpoint(), '--output', 'json'],
        await spokeCredentials(),
      ),
      'aws eks describe-cluster',
    );
    const cluster = interop.sim.world.cluster(PAYMENTS_ACCOUNT, REGION, 'payments-prod');
    expect(out.cluster).toMatchObject({
      name: 'payments-prod',
      arn: `arn:aws:eks:${REGION}:${PAYMENTS_ACCOUNT}:cluster/payments-prod`,
      endpoint: interop.clusterEndpoint(PAYMENTS_PROD),
      status: 'ACTIVE',
      version: '1.31',
    });
    if (out.cluster.accessConfig !== undefined) expect(out.cluster.accessConfig.authenticationMode).toBe('API_AND_CONFIG_MAP');
    expect(Buffer.from(out.cluster.certificateAuthority.data, 'base64').toString('utf8')).toBe(interop.sim.caPem);
    const createdAt = out.cluster.createdAt;
    expect(typeof createdAt === 'number' ? createdAt * 1000 : Date.parse(createdAt)).toBe(cluster.createdAt.getTime());
  });

  it('list-clusters lists the region’s clusters of the account', async () => {
    const out = parseOutput(
      z.object({ clusters: z.array(z.string()) }),
      await interop.awsOk(['eks', 'list-clusters', '--region', REGION, ...endpoint(), '--output', 'json'], await spokeCredentials()),
      'aws eks list-clusters',
    );
    expect(out.clusters.sort()).toEqual(['payments-prod', 'payments-staging']);
  });

  it('describe-cluster of an unknown name fails with ResourceNotFoundException', async () => {
    const result = await interop.aws(
      ['eks', 'describe-cluster', '--name', 'nope', '--region', REGION, ...endpoint(), '--output', 'json'],
      await spokeCredentials(),
    );
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toMatch(/ResourceNotFoundException/);
  });
});

describe('aws eks get-token', () => {
  it('prints an ExecCredential whose token the cluster’s API server accepts', async () => {
    const before = Date.now();
    const credential = await interop.getToken('payments-prod', await spokeCredentials());
    const expires = Date.parse(credential.status.expirationTimestamp);
    expect(expires).toBeGreaterThan(before + 10 * 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    const url = new URL(Buffer.from(credential.status.token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.host).toBe(`sts.${REGION}.amazonaws.com`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');

    const res = await kubeGet(
      `${interop.clusterEndpoint(PAYMENTS_PROD)}/api/v1/namespaces/kube-system/configmaps/aws-auth`,
      interop.sim.caPem,
      credential.status.token,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const object = configMap.parse(res.body);
    expect(object.metadata).toMatchObject({ name: 'aws-auth', namespace: 'kube-system' });
    expect(object.data).toEqual(interop.sim.control.readAwsAuth(PAYMENTS_PROD)?.data);
  });

  it('a token made for another cluster name is refused with 401', async () => {
    const credentials = await spokeCredentials();
    const staging = await interop.getToken('payments-staging', credentials);
    const path = '/api/v1/namespaces/kube-system/configmaps/aws-auth';

    const refused = await kubeGet(`${interop.clusterEndpoint(PAYMENTS_PROD)}${path}`, interop.sim.caPem, staging.status.token);
    expect(refused.status).toBe(401);
    expect(status.parse(refused.body)).toMatchObject({ reason: 'Unauthorized', code: 401 });

    // the same token is good where it was made for: the refusal is about the cluster name
    const accepted = await kubeGet(`${interop.clusterEndpoint(PAYMENTS_STAGING)}${path}`, interop.sim.caPem, staging.status.token);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(configMap.parse(accepted.body).data).toEqual(interop.sim.control.readAwsAuth(PAYMENTS_STAGING)?.data);
  });
});
