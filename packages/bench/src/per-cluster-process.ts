/**
 * The per-cluster model of the earlier in-cluster tool, in its own process, run on the same world as
 * the hub: every cluster runs its own instance, which each interval lists all of its account's
 * Identity Center roles itself (IAM ListRoles, page size 10, every page), renders aws-auth from them
 * and from the node roles in its static configuration, and writes it unconditionally (a read, then a
 * create when there is none, else an update without a resourceVersion precondition).
 *
 *   node packages/bench/dist/per-cluster-process.js WORLD_JSON CONCURRENCY   (forked, IPC channel)
 *
 * Stand-ins for what the tool had inside its cluster, done before the benchmark counts anything: the
 * API server's address and CA (DescribeCluster once per cluster at start). Its IRSA credentials are an
 * AssumeRole per cluster on the first pass, kept afterwards as the SDK would.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type Credentials, mintClusterToken } from '@eks-auth-hub/aws';
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
import pLimit from 'p-limit';
import { runPass, serveRequests } from './protocol.js';
import { clusterId, ssoGroup, ssoUsername } from './world.js';

const [worldFile, concurrencyText] = process.argv.slice(2);
if (worldFile === undefined || concurrencyText === undefined) throw new Error('usage: per-cluster-process WORLD_JSON CONCURRENCY');
const world = JSON.parse(readFileSync(worldFile, 'utf8')) as WorldFileInput;
const concurrency = Number(concurrencyText);
const externalId = 'example-external-id';

interface Instance {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly desiredSets: readonly string[];
  readonly nodeSources: readonly NodeRoleSource[];
  endpoint: string;
  ca: string;
  credentials?: Credentials & { expiration: Date };
  iam?: IAMClient;
}

const sts = new STSClient({});

async function assume(account: string, sessionName: string): Promise<Credentials & { expiration: Date }> {
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn('aws', account, SPOKE_ROLE),
      RoleSessionName: sessionName,
      ExternalId: externalId,
      DurationSeconds: 3600,
    }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined || c.Expiration === undefined)
    throw new Error('AssumeRole gave no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}

const instances: Instance[] = (world.accounts ?? []).flatMap((account) =>
  (account.clusters ?? []).map((c) => ({
    id: clusterId(account.id, c.region ?? '', c.name),
    account: account.id,
    region: c.region ?? '',
    name: c.name,
    desiredSets: (account.permissionSets ?? []).map((p) => p.name),
    nodeSources: [
      ...(c.nodegroups ?? []).map(
        (n): NodeRoleSource => ({ kind: 'nodegroup', name: n.name, roleArn: n.nodeRole, amiType: n.amiType ?? 'AL2023_x86_64_STANDARD' }),
      ),
      ...(c.fargateProfiles ?? []).map((f): NodeRoleSource => ({ kind: 'fargate', name: f.name, roleArn: f.podExecutionRoleArn })),
    ],
    endpoint: '',
    ca: '',
  })),
);

// What the tool knew inside its cluster: the API server and its CA.
{
  const limit = pLimit(concurrency);
  const sessions = new Map<string, Promise<Credentials>>();
  await Promise.all(
    instances.map((instance) =>
      limit(async () => {
        let session = sessions.get(instance.account);
        if (session === undefined) {
          session = assume(instance.account, 'bench-setup');
          sessions.set(instance.account, session);
        }
        const eks = new EKSClient({ region: instance.region, credentials: await session });
        const out = await eks.send(new DescribeClusterCommand({ name: instance.name }));
        instance.endpoint = out.cluster?.endpoint ?? '';
        instance.ca = Buffer.from(out.cluster?.certificateAuthority?.data ?? '', 'base64').toString('utf8');
        eks.destroy();
      }),
    ),
  );
}

const agents = new Map<string, Agent>();
function agentFor(ca: string): Agent {
  let agent = agents.get(ca);
  if (agent === undefined) {
    agent = new Agent({ ca, keepAlive: true });
    agents.set(ca, agent);
  }
  return agent;
}

function kube(instance: Instance, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: string }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${instance.endpoint}${path}`,
      {
        method,
        agent: agentFor(instance.ca),
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const counts: Record<string, number> = {};
const count = (purpose: string): void => {
  counts[purpose] = (counts[purpose] ?? 0) + 1;
};

async function sync(instance: Instance): Promise<void> {
  instance.credentials ??= await assume(instance.account, `aws-auth-sync-${instance.name}`.slice(0, 64));
  const credentials = instance.credentials;
  instance.iam ??= new IAMClient({ region: 'us-east-1', credentials });
  const sets = new Map<string, string>();
  let marker: string | undefined;
  do {
    const out = await instance.iam.send(
      new ListRolesCommand({ PathPrefix: SSO_PATH_PREFIX, MaxItems: 10, ...(marker === undefined ? {} : { Marker: marker }) }),
    );
    for (const role of out.Roles ?? []) {
      const set = permissionSetOfRoleName(role.RoleName ?? '');
      if (set !== undefined && role.RoleName !== undefined) sets.set(set, roleArn('aws', instance.account, role.RoleName));
    }
    marker = out.IsTruncated === true ? out.Marker : undefined;
  } while (marker !== undefined);
  const entries: Entry[] = [
    ...instance.desiredSets.flatMap((set): Entry[] => {
      const arn = sets.get(set);
      return arn === undefined ? [] : [{ kind: 'role', rolearn: arn, username: ssoUsername(set), groups: [ssoGroup(set)] }];
    }),
    ...nodeMappings(instance.nodeSources).entries,
  ];
  const data = renderAwsAuth(entries);
  const token = (await mintClusterToken(credentials, instance.name, instance.region, new Date())).token;
  const path = '/api/v1/namespaces/kube-system/configmaps';
  count('aws-auth-read');
  const live = await kube(instance, 'GET', `${path}/aws-auth`, token);
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data };
  let written;
  if (live.status === 404) {
    count('aws-auth-create');
    written = await kube(instance, 'POST', path, token, object);
  } else {
    count('aws-auth-update');
    written = await kube(instance, 'PUT', `${path}/aws-auth`, token, object);
  }
  if (written.status !== 200 && written.status !== 201)
    throw new Error(`write of ${instance.id}: HTTP ${written.status} ${written.body.slice(0, 200)}`);
}

serveRequests(async (req) => {
  if (req.cmd === 'stop') {
    for (const agent of agents.values()) agent.destroy();
    return undefined;
  }
  for (const key of Object.keys(counts)) delete counts[key];
  return runPass(
    instances,
    concurrency,
    (instance) => instance.id,
    sync,
    () => counts,
  );
});
