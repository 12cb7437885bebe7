/** EKS reads: how to reach a cluster, and the node roles of its node groups and Fargate profiles. */
import {
  DescribeClusterCommand,
  DescribeFargateProfileCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListFargateProfilesCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { HubError, type AuthenticationMode, type ClusterDirectory, type ClusterEndpoint, type ClusterRef, type NodeRoleSource } from '@eks-auth-hub/core';
import { fromAwsError } from './errors.js';
import { NO_OBSERVER, clientSettings, observed, type SdkOptions } from './sdk-options.js';
import type { StsAccountSessions } from './sessions.js';

const MODES: readonly AuthenticationMode[] = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'];
const MAX_PAGES = 100;

export class EksClusterDirectory implements ClusterDirectory {
  private readonly clients = new Map<string, EKSClient>();
  /** Calls made per operation (for tests and the benchmark). */
  readonly calls: Record<string, number> = {};

  constructor(
    private readonly sessions: StsAccountSessions,
    private readonly options: SdkOptions = {},
  ) {}

  private client(cluster: ClusterRef): EKSClient {
    const key = `${cluster.partition}/${cluster.account}/${cluster.region}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = new EKSClient({ ...clientSettings(this.options), region: cluster.region, credentials: this.sessions.provider(cluster.account, cluster.partition) });
      this.clients.set(key, client);
    }
    return client;
  }

  private async send<T>(cluster: ClusterRef, operation: string, run: (client: EKSClient) => Promise<T>): Promise<T> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    return observed(this.options.observer ?? NO_OBSERVER, 'eks', operation, async () => {
      try {
        return await run(this.client(cluster));
      } catch (error) {
        throw fromAwsError(error, `eks:${operation} ${cluster.name} in ${cluster.account}/${cluster.region}`);
      }
    });
  }

  async describe(cluster: ClusterRef): Promise<ClusterEndpoint> {
    const out = await this.send(cluster, 'DescribeCluster', (c) => c.send(new DescribeClusterCommand({ name: cluster.name })));
    const endpoint = out.cluster?.endpoint;
    const ca = out.cluster?.certificateAuthority?.data;
    if (endpoint === undefined || !endpoint.startsWith('https://') || ca === undefined || ca === '') {
      throw new HubError('transient', 'aws.incomplete', `eks:DescribeCluster ${cluster.name}: no https endpoint or certificate authority yet (is the cluster still creating?)`);
    }
    const mode = out.cluster?.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
    return {
      endpoint,
      caPem: Buffer.from(ca, 'base64').toString('utf8'),
      authenticationMode: (MODES as readonly string[]).includes(mode) ? (mode as AuthenticationMode) : 'CONFIG_MAP',
    };
  }

  private async listAll(
    cluster: ClusterRef,
    operation: string,
    page: (client: EKSClient, token: string | undefined) => Promise<{ names: readonly string[] | undefined; nextToken: string | undefined }>,
  ): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const out = await this.send(cluster, operation, (c) => page(c, token));
      names.push(...(out.names ?? []));
      token = out.nextToken === '' ? undefined : out.nextToken;
      if (token === undefined) return names;
    }
    throw new HubError('transient', 'aws.partial-listing', `eks:${operation} ${cluster.name}: more than ${MAX_PAGES} pages`);
  }

  async nodeRoles(cluster: ClusterRef): Promise<readonly NodeRoleSource[]> {
    const [nodegroups, profiles] = await Promise.all([
      this.listAll(cluster, 'ListNodegroups', async (c, t) => {
        const out = await c.send(new ListNodegroupsCommand({ clusterName: cluster.name, ...(t === undefined ? {} : { nextToken: t }) }));
        return { names: out.nodegroups, nextToken: out.nextToken };
      }),
      this.listAll(cluster, 'ListFargateProfiles', async (c, t) => {
        const out = await c.send(new ListFargateProfilesCommand({ clusterName: cluster.name, ...(t === undefined ? {} : { nextToken: t }) }));
        return { names: out.fargateProfileNames, nextToken: out.nextToken };
      }),
    ]);
    const sources = await Promise.all([
      ...nodegroups.map(async (name): Promise<NodeRoleSource> => {
        const out = await this.send(cluster, 'DescribeNodegroup', (c) => c.send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: name })));
        const role = out.nodegroup?.nodeRole;
        if (role === undefined) throw new HubError('transient', 'aws.incomplete', `eks:DescribeNodegroup ${cluster.name}/${name}: no node role`);
        return { kind: 'nodegroup', name, roleArn: role, amiType: String(out.nodegroup?.amiType ?? 'CUSTOM') };
      }),
      ...profiles.map(async (name): Promise<NodeRoleSource> => {
        const out = await this.send(cluster, 'DescribeFargateProfile', (c) =>
          c.send(new DescribeFargateProfileCommand({ clusterName: cluster.name, fargateProfileName: name })),
        );
        const role = out.fargateProfile?.podExecutionRoleArn;
        if (role === undefined) throw new HubError('transient', 'aws.incomplete', `eks:DescribeFargateProfile ${cluster.name}/${name}: no pod execution role`);
        return { kind: 'fargate', name, roleArn: role };
      }),
    ]);
    return sources;
  }
}
