/**
 * The libraries' floor, in its own process: the calls of the hub's cold pass made with the same
 * libraries, set up the same way, and nothing else. Per account one `AssumeRole` and one `ListRoles`
 * page per 1,000 roles; per cluster `DescribeCluster`, the `ListNodegroups` and `ListFargateProfiles`
 * pages, a `DescribeNodegroup` per node group and a `DescribeFargateProfile` per profile, then the
 * `aws-auth` read (404), its create and the access check (a read with a freshly made token): the
 * minimum of the cold pass plus the hub's safety calls.
 *
 *   node packages/bench/dist/floor-process.js WORLD_JSON CONCURRENCY   (forked, IPC channel)
 *
 * Set up as the hub sets them up: the AWS SDK v3 clients with the hub's settings (`clientSettings`,
 * `serviceClientSettings`: one kept-alive request handler, the standard retry strategy, the cached
 * middleware stack, the endpoint settings looked up once), one client per account (IAM) and per
 * account and region (EKS); @kubernetes/client-node's CoreV1Api
 * over the hub's `KubeAgents` (one kept-alive agent per certificate authority); a presigned-STS token per cluster
 * (`mintClusterToken`). At most CONCURRENCY clusters in flight, accounts entered when their first
 * cluster starts. The `aws-auth` written holds what the hub writes for the benchmark's world (every
 * permission set, the node roles), rendered the same way, so the requests carry the same bytes.
 *
 * Left out is everything that is the hub's own work: the desired state, resolution, planning, the
 * guard, ownership annotations, logs, metrics, caches. The hub cannot be faster than this on the same
 * machine: hub ÷ floor is what its own work costs; floor ÷ bound is what the machine and the
 * libraries allow.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import {
  DescribeClusterCommand,
  DescribeFargateProfileCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListFargateProfilesCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  clientSettings,
  KubeAgents,
  mintClusterToken,
  type SdkOptions,
  type SessionCredentials,
  serviceClientSettings,
} from '@eks-auth-hub/aws';
import {
  type Entry,
  type NodeRoleSource,
  nodeMappings,
  permissionSetOfRoleName,
  renderAwsAuth,
  roleArn,
  SSO_PATH_PREFIX,
} from '@eks-auth-hub/core';
import { SPOKE_ROLE, type WorldFileInput } from '@eks-auth-hub/sim';
import { CoreV1Api, createConfiguration, ServerConfiguration, type V1ConfigMap } from '@kubernetes/client-node';
import { runPass, serveRequests } from './protocol.js';
import { ssoGroup, ssoUsername } from './world.js';

const [worldFile, concurrencyText] = process.argv.slice(2);
if (worldFile === undefined || concurrencyText === undefined) throw new Error('usage: floor-process WORLD_JSON CONCURRENCY');
const world = JSON.parse(readFileSync(worldFile, 'utf8')) as WorldFileInput;
const concurrency = Number(concurrencyText);

const sdkOptions: SdkOptions = {};
const sts = new STSClient({ ...clientSettings(sdkOptions) });
// The settings the hub gives its IAM and EKS clients (looked up once, as the hub does).
const iamSettings = await serviceClientSettings(sdkOptions, 'IAM');
const eksSettings = await serviceClientSettings(sdkOptions, 'EKS');

interface Account {
  readonly credentials: SessionCredentials;
  /** Permission set → role ARN (without path), from the account's Identity Center roles. */
  readonly roles: ReadonlyMap<string, string>;
  readonly eks: Map<string, EKSClient>;
}

async function enter(account: string): Promise<Account> {
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn('aws', account, SPOKE_ROLE),
      RoleSessionName: 'eks-auth-hub',
      ExternalId: 'example-external-id',
      DurationSeconds: 3600,
    }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined || c.Expiration === undefined)
    throw new Error(`AssumeRole in ${account}: no credentials`);
  const credentials: SessionCredentials = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
  const provider = (): Promise<SessionCredentials> => Promise.resolve(credentials);
  const iam = new IAMClient({ ...iamSettings, region: 'us-east-1', credentials: provider });
  const roles = new Map<string, string>();
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new ListRolesCommand({ PathPrefix: SSO_PATH_PREFIX, MaxItems: 1000, ...(marker === undefined ? {} : { Marker: marker }) }),
    );
    for (const role of page.Roles ?? []) {
      const set = permissionSetOfRoleName(role.RoleName ?? '');
      if (set !== undefined && role.RoleName !== undefined) roles.set(set, roleArn('aws', account, role.RoleName));
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  return { credentials, roles, eks: new Map() };
}

function eksClient(account: Account, region: string): EKSClient {
  let client = account.eks.get(region);
  if (client === undefined) {
    client = new EKSClient({ ...eksSettings, region, credentials: () => Promise.resolve(account.credentials) });
    account.eks.set(region, client);
  }
  return client;
}

/** The hub's own pool: one kept-alive agent per CA. */
const agents = new KubeAgents();

function api(endpoint: string, agent: Agent, token: () => string): CoreV1Api {
  return new CoreV1Api(
    createConfiguration({
      baseServer: new ServerConfiguration(endpoint, {}),
      authMethods: {
        default: {
          getName: () => 'eks-token',
          applySecurityAuthentication: (context) => {
            context.setHeaderParam('Authorization', `Bearer ${token()}`);
            context.setAgent(agent);
          },
        },
      },
    }),
  );
}

async function pages<T>(
  first: (next: string | undefined) => Promise<{ names: readonly T[] | undefined; next: string | undefined }>,
): Promise<T[]> {
  const names: T[] = [];
  let next: string | undefined;
  do {
    const page = await first(next);
    names.push(...(page.names ?? []));
    next = page.next === '' ? undefined : page.next;
  } while (next !== undefined);
  return names;
}

const counts: Record<string, number> = {};
const count = (purpose: string): void => {
  counts[purpose] = (counts[purpose] ?? 0) + 1;
};

async function cluster(account: Account, region: string, name: string, permissionSets: readonly string[]): Promise<void> {
  const eks = eksClient(account, region);
  const described = await eks.send(new DescribeClusterCommand({ name }));
  const endpoint = described.cluster?.endpoint;
  const caData = described.cluster?.certificateAuthority?.data;
  if (endpoint === undefined || caData === undefined) throw new Error(`DescribeCluster ${name}: no endpoint or CA`);
  const [nodegroups, profiles] = await Promise.all([
    pages(async (next) => {
      const out = await eks.send(new ListNodegroupsCommand({ clusterName: name, ...(next === undefined ? {} : { nextToken: next }) }));
      return { names: out.nodegroups, next: out.nextToken };
    }),
    pages(async (next) => {
      const out = await eks.send(new ListFargateProfilesCommand({ clusterName: name, ...(next === undefined ? {} : { nextToken: next }) }));
      return { names: out.fargateProfileNames, next: out.nextToken };
    }),
  ]);
  const sources = await Promise.all([
    ...nodegroups.map(async (nodegroupName): Promise<NodeRoleSource> => {
      const out = await eks.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName }));
      return {
        kind: 'nodegroup',
        name: nodegroupName,
        roleArn: out.nodegroup?.nodeRole ?? '',
        amiType: String(out.nodegroup?.amiType ?? 'CUSTOM'),
      };
    }),
    ...profiles.map(async (fargateProfileName): Promise<NodeRoleSource> => {
      const out = await eks.send(new DescribeFargateProfileCommand({ clusterName: name, fargateProfileName }));
      return { kind: 'fargate', name: fargateProfileName, roleArn: out.fargateProfile?.podExecutionRoleArn ?? '' };
    }),
  ]);
  const entries: Entry[] = [
    ...permissionSets.flatMap((set): Entry[] => {
      const arn = account.roles.get(set);
      return arn === undefined ? [] : [{ kind: 'role', rolearn: arn, username: ssoUsername(set), groups: [ssoGroup(set)] }];
    }),
    ...nodeMappings(sources).entries,
  ];
  let token = (await mintClusterToken(account.credentials, name, region, new Date())).token;
  const core = api(endpoint, agents.forCa(Buffer.from(caData, 'base64').toString('utf8')), () => token);
  count('aws-auth-read');
  try {
    await core.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
    throw new Error(`${name}: aws-auth already exists (the floor runs on a cold world only)`);
  } catch (error) {
    if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 404)) throw error;
  }
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'aws-auth', namespace: 'kube-system' },
    data: renderAwsAuth(entries),
  };
  count('aws-auth-create');
  await core.createNamespacedConfigMap({ namespace: 'kube-system', body });
  token = (await mintClusterToken(account.credentials, name, region, new Date())).token;
  count('access-check');
  await core.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
}

let passes = 0;
serveRequests(async (request) => {
  if (request.cmd === 'stop') {
    agents.close();
    return undefined;
  }
  passes += 1;
  if (passes > 1 || request.pass !== 'cold') throw new Error('the floor runs the cold pass only, once');
  const accounts = new Map<string, Promise<Account>>();
  const clusters = (world.accounts ?? []).flatMap((account) => (account.clusters ?? []).map((c) => ({ account, cluster: c })));
  return runPass(
    clusters,
    concurrency,
    ({ account, cluster: c }) => `${account.id}/${c.name}`,
    async ({ account, cluster: c }) => {
      let entered = accounts.get(account.id);
      if (entered === undefined) {
        entered = enter(account.id);
        accounts.set(account.id, entered);
      }
      await cluster(
        await entered,
        c.region ?? '',
        c.name,
        (account.permissionSets ?? []).map((p) => p.name),
      );
    },
    () => counts,
  );
});
