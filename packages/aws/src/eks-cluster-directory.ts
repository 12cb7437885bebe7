/**
 * EKS reads: how to reach a cluster, and the node roles of its node groups and Fargate profiles.
 *
 * What does not change is kept across passes, per cluster: DescribeCluster's endpoint, CA and
 * authentication mode, and the role of each node group and Fargate profile already described. The
 * listings of node groups and Fargate profiles are made every time, so an addition is described and a
 * removal dropped in the pass that sees it. Bounded (least recently used clusters go first) and with
 * an expiry: after `ttlMs` a cluster and its node groups are described again. A cluster deleted and
 * created again under the same name is forgotten through `forget` when its old endpoint stops
 * answering as expected (the reconcile pass does that), and all of it is described afresh.
 */
import {
  DescribeClusterCommand,
  DescribeFargateProfileCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListFargateProfilesCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import {
  type AuthenticationMode,
  type ClusterDirectory,
  type ClusterEndpoint,
  type ClusterRef,
  HubError,
  type NodeRoleSource,
} from '@eks-auth-hub/core';
import { LRUCache } from 'lru-cache';
import { allowedHostsFromEnv, checkClusterEndpoint } from './endpoint-hosts.js';
import { fromAwsError } from './errors.js';
import { NO_OBSERVER, observed, SdkClients, type SdkOptions, withCallDeadline } from './sdk-options.js';
import type { StsAccountSessions } from './sessions.js';

const MODES: readonly AuthenticationMode[] = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'];
const MAX_PAGES = 100;

export interface ClusterCacheOptions {
  /** How long what was learnt about a cluster is used before EKS is asked again (default 1 hour). */
  readonly ttlMs?: number;
  /** Clusters kept at most (default 20,000). */
  readonly maxClusters?: number;
  /** The clock expiry is measured with (default: the process's monotonic clock). */
  readonly now?: () => number;
  /** API server hosts allowed beyond the partition's EKS hosts (default: EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS). */
  readonly allowedEndpointHosts?: readonly string[];
}

/** What is kept about one cluster (one per cluster for as long as the hub runs: kept small). */
interface ClusterFacts {
  readonly endpoint: ClusterEndpoint;
  /** `arn@createdAt`: another value means another cluster under the same name. */
  readonly identity: string;
  /** Node groups and Fargate profiles described so far (a cluster has a few). */
  sources: readonly NodeRoleSource[];
}

/** `nodegroup/<name>`, `fargate/<name>` (the directory describes no other kind). */
function sourceId(source: NodeRoleSource): string {
  return source.kind === 'extra' ? `extra/${source.roleArn}` : `${source.kind}/${source.name}`;
}

export class EksClusterDirectory implements ClusterDirectory {
  private readonly clients: SdkClients<EKSClient>;
  private readonly facts: LRUCache<string, ClusterFacts>;
  /** Explicit extra hosts; undefined: EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS, read when checking (like the SDK's own settings). */
  private readonly allowedHosts: readonly string[] | undefined;
  /** Calls made per operation (for tests and the benchmark). */
  readonly calls: Record<string, number> = {};

  constructor(
    private readonly sessions: StsAccountSessions,
    private readonly options: SdkOptions = {},
    cache: ClusterCacheOptions = {},
  ) {
    this.clients = new SdkClients(options, 'EKS', (settings, key) => {
      const [partition = 'aws', account = '', region = ''] = key.split('/');
      return new EKSClient({ ...settings, region, credentials: this.sessions.provider(account, partition as ClusterRef['partition']) });
    });
    this.allowedHosts = cache.allowedEndpointHosts;
    const now = cache.now;
    this.facts = new LRUCache<string, ClusterFacts>({
      max: cache.maxClusters ?? 20_000,
      ttl: cache.ttlMs ?? 3_600_000,
      ...(now === undefined ? {} : { perf: { now } }),
    });
  }

  private client(cluster: ClusterRef): Promise<EKSClient> {
    return this.clients.get(`${cluster.partition}/${cluster.account}/${cluster.region}`);
  }

  private key(cluster: ClusterRef): string {
    return `${cluster.partition}/${cluster.account}/${cluster.region}/${cluster.name}`;
  }

  /** Clusters whose description is kept. */
  get cachedClusters(): number {
    return this.facts.size;
  }

  forget(cluster: ClusterRef): void {
    this.facts.delete(this.key(cluster));
  }

  /** One EKS call, sent with its deadline and `signal` (see callDeadline). */
  private async send<T>(
    cluster: ClusterRef,
    operation: string,
    signal: AbortSignal | undefined,
    run: (client: EKSClient, options: { abortSignal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    return observed(this.options.observer ?? NO_OBSERVER, 'eks', operation, async () => {
      try {
        const client = await this.client(cluster);
        return await this.sessions.withSession(
          cluster.account,
          cluster.partition,
          () => withCallDeadline(this.options, signal, (abortSignal) => run(client, { abortSignal })),
          signal,
        );
      } catch (error) {
        throw fromAwsError(error, `eks:${operation} ${cluster.name} in ${cluster.account}/${cluster.region}`);
      }
    });
  }

  async describe(cluster: ClusterRef, signal?: AbortSignal): Promise<ClusterEndpoint> {
    const kept = this.facts.get(this.key(cluster));
    return kept !== undefined ? { ...kept.endpoint, cached: true } : (await this.factsOf(cluster, signal)).endpoint;
  }

  private async factsOf(cluster: ClusterRef, signal: AbortSignal | undefined): Promise<ClusterFacts> {
    const key = this.key(cluster);
    const kept = this.facts.get(key);
    if (kept !== undefined) return kept;
    const out = await this.send(cluster, 'DescribeCluster', signal, (c, o) =>
      c.send(new DescribeClusterCommand({ name: cluster.name }), o),
    );
    const endpoint = out.cluster?.endpoint;
    const ca = out.cluster?.certificateAuthority?.data;
    if (endpoint === undefined || !endpoint.startsWith('https://') || ca === undefined || ca === '') {
      throw new HubError(
        'transient',
        'aws.incomplete',
        `eks:DescribeCluster ${cluster.name}: no https endpoint or certificate authority yet (is the cluster still creating?)`,
      );
    }
    // Not kept when refused: a cluster whose endpoint is not an EKS host is asked about again next pass.
    checkClusterEndpoint(endpoint, cluster.region, this.allowedHosts ?? allowedHostsFromEnv(), cluster.name);
    const mode = out.cluster?.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
    const identity = `${out.cluster?.arn ?? ''}@${out.cluster?.createdAt?.toISOString() ?? ''}`;
    const previous = this.facts.get(key);
    const facts: ClusterFacts = {
      endpoint: {
        endpoint,
        caPem: Buffer.from(ca, 'base64').toString('utf8'),
        authenticationMode: (MODES as readonly string[]).includes(mode) ? (mode as AuthenticationMode) : 'CONFIG_MAP',
      },
      identity,
      // Node groups described for the same cluster (another pass described it meanwhile) stay.
      sources: previous !== undefined && previous.identity === identity ? previous.sources : [],
    };
    this.facts.set(key, facts);
    return facts;
  }

  private async listAll(
    cluster: ClusterRef,
    operation: string,
    signal: AbortSignal | undefined,
    page: (
      client: EKSClient,
      token: string | undefined,
      options: { abortSignal: AbortSignal },
    ) => Promise<{ names: readonly string[] | undefined; nextToken: string | undefined }>,
  ): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const out = await this.send(cluster, operation, signal, (c, o) => page(c, token, o));
      names.push(...(out.names ?? []));
      token = out.nextToken === '' ? undefined : out.nextToken;
      if (token === undefined) return names;
    }
    throw new HubError('transient', 'aws.partial-listing', `eks:${operation} ${cluster.name}: more than ${MAX_PAGES} pages`);
  }

  async nodeRoles(cluster: ClusterRef, signal?: AbortSignal): Promise<readonly NodeRoleSource[]> {
    const facts = await this.factsOf(cluster, signal);
    const [nodegroups, profiles] = await Promise.all([
      this.listAll(cluster, 'ListNodegroups', signal, async (c, t, o) => {
        const out = await c.send(new ListNodegroupsCommand({ clusterName: cluster.name, ...(t === undefined ? {} : { nextToken: t }) }), o);
        return { names: out.nodegroups, nextToken: out.nextToken };
      }),
      this.listAll(cluster, 'ListFargateProfiles', signal, async (c, t, o) => {
        const out = await c.send(
          new ListFargateProfilesCommand({ clusterName: cluster.name, ...(t === undefined ? {} : { nextToken: t }) }),
          o,
        );
        return { names: out.fargateProfileNames, nextToken: out.nextToken };
      }),
    ]);
    const known = new Map(facts.sources.map((source) => [sourceId(source), source] as const));
    const kept = (id: string, describe: () => Promise<NodeRoleSource>): Promise<NodeRoleSource> => {
      const source = known.get(id);
      if (source !== undefined) return Promise.resolve(source);
      return describe().then((described) => {
        known.set(id, described);
        return described;
      });
    };
    const settled = await Promise.allSettled([
      ...nodegroups.map((name) =>
        kept(`nodegroup/${name}`, async (): Promise<NodeRoleSource> => {
          const out = await this.send(cluster, 'DescribeNodegroup', signal, (c, o) =>
            c.send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: name }), o),
          );
          const role = out.nodegroup?.nodeRole;
          if (role === undefined)
            throw new HubError('transient', 'aws.incomplete', `eks:DescribeNodegroup ${cluster.name}/${name}: no node role`);
          return { kind: 'nodegroup', name, roleArn: role, amiType: String(out.nodegroup?.amiType ?? 'CUSTOM') };
        }),
      ),
      ...profiles.map((name) =>
        kept(`fargate/${name}`, async (): Promise<NodeRoleSource> => {
          const out = await this.send(cluster, 'DescribeFargateProfile', signal, (c, o) =>
            c.send(new DescribeFargateProfileCommand({ clusterName: cluster.name, fargateProfileName: name }), o),
          );
          const role = out.fargateProfile?.podExecutionRoleArn;
          if (role === undefined)
            throw new HubError('transient', 'aws.incomplete', `eks:DescribeFargateProfile ${cluster.name}/${name}: no pod execution role`);
          return { kind: 'fargate', name, roleArn: role };
        }),
      ),
    ]);
    const sources: NodeRoleSource[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'rejected') {
        // What was described stays for the next pass, even when another description failed.
        facts.sources = [...known.values()];
        throw outcome.reason;
      }
      sources.push(outcome.value);
    }
    // Removed ones are forgotten: a node group created again under the same name is described again.
    facts.sources = sources;
    return sources;
  }
}
