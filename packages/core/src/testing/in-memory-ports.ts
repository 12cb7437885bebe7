/**
 * In-memory implementations of the core's ports, for tests of anything written against them (the
 * pass, a new backend's contract suite). Like the real backends they check a change before making
 * it (a stale resourceVersion or an immutable object is refused, nothing half-written) and hand out
 * copies, never their own state. No I/O, no clock: time comes from a SteppingClock.
 */
import { type Partition, roleArn } from '../arn.js';
import { configMapDataBytes } from '../aws-auth/config-map.js';
import { parseAwsAuth } from '../aws-auth/read.js';
import { ConflictError, HubError } from '../errors.js';
import type { AccountSessions, AwsAuthStore, AwsAuthWrite, Clock, ClusterDirectory, RoleDirectory } from '../ports.js';
import { SSO_PATH_PREFIX } from '../sso.js';
import type { AuthenticationMode, ClusterEndpoint, ClusterRef, HistoryEntry, IamRole, NodeRoleSource, ObservedAwsAuth } from '../world.js';

/** The API server's limit on a ConfigMap's data. */
const MAX_CONFIGMAP_BYTES = 1024 * 1024;

/** `account/region/name`: how the in-memory ports key a cluster. */
export function clusterKey(cluster: Pick<ClusterRef, 'account' | 'region' | 'name'>): string {
  return `${cluster.account}/${cluster.region}/${cluster.name}`;
}

/** An Identity Center role as IAM lists it: `AWSReservedSSO_<permissionSet>_<suffix>` under the SSO path. */
export function ssoRole(account: string, permissionSet: string, suffix: string, partition: Partition = 'aws'): IamRole {
  const roleName = `AWSReservedSSO_${permissionSet}_${suffix}`;
  return {
    roleName,
    path: SSO_PATH_PREFIX,
    arn: roleArn(partition, account, roleName, SSO_PATH_PREFIX),
    roleId: 'AROA',
    createDate: '2025-01-01T00:00:00Z',
  };
}

/** A clock that moves on by `stepMs` each time it is read (0: it stands still until `advance`). */
export class SteppingClock implements Clock {
  private ms: number;

  constructor(
    start: Date = new Date(Date.UTC(2026, 0, 1)),
    readonly stepMs = 1000,
  ) {
    this.ms = start.getTime();
  }

  now(): Date {
    const now = new Date(this.ms);
    this.ms += this.stepMs;
    return now;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Accounts the hub may enter; a refused one fails every `open` as STS's AccessDenied does. */
export class InMemoryAccountSessions implements AccountSessions {
  /** Every account opened, in order (refused ones too). */
  readonly opened: string[] = [];
  private readonly refusals = new Map<string, HubError>();

  refuse(account: string, error = new HubError('terminal', 'aws.access-denied', `sts:AssumeRole in ${account}: AccessDenied`)): void {
    this.refusals.set(account, error);
  }

  async open(account: string): Promise<void> {
    this.opened.push(account);
    const refusal = this.refusals.get(account);
    if (refusal !== undefined) throw refusal;
  }
}

/** The IAM roles of each account; `listSsoRoles` answers those under the Identity Center path, as ListRoles with its path prefix does. */
export class InMemoryRoleDirectory implements RoleDirectory {
  /** Every account listed, in order (failed listings too). */
  readonly listed: string[] = [];
  private readonly roles = new Map<string, readonly IamRole[]>();
  private readonly failures = new Map<string, HubError>();

  /** Sets the roles of `account` (replacing what it had). */
  put(account: string, roles: readonly IamRole[]): void {
    this.roles.set(
      account,
      roles.map((role) => ({ ...role })),
    );
  }

  /** Makes every listing of `account` fail (throttled, by default). */
  failListing(account: string, error = new HubError('transient', 'aws.throttled', 'iam:ListRoles: Throttling')): void {
    this.failures.set(account, error);
  }

  async listSsoRoles(account: string): Promise<readonly IamRole[]> {
    this.listed.push(account);
    const failure = this.failures.get(account);
    if (failure !== undefined) throw failure;
    return (this.roles.get(account) ?? []).filter((role) => role.path.startsWith(SSO_PATH_PREFIX)).map((role) => ({ ...role }));
  }
}

interface ClusterRecord {
  readonly endpoint: ClusterEndpoint;
  readonly nodeRoles: readonly NodeRoleSource[];
}

/** The EKS clusters of the fleet: describing one that does not exist fails as EKS's ResourceNotFound does. Keeps nothing between calls. */
export class InMemoryClusterDirectory implements ClusterDirectory {
  /** Times `forget` was called. */
  forgotten = 0;
  private readonly clusters = new Map<string, ClusterRecord>();

  /** Adds (or replaces) a cluster; by default in API_AND_CONFIG_MAP mode, at `https://<name>`, with no node roles. */
  put(
    cluster: ClusterRef,
    options: {
      readonly authenticationMode?: AuthenticationMode;
      readonly endpoint?: string;
      readonly nodeRoles?: readonly NodeRoleSource[];
    } = {},
  ): void {
    this.clusters.set(clusterKey(cluster), {
      endpoint: {
        endpoint: options.endpoint ?? `https://${cluster.name}`,
        caPem: 'PEM',
        authenticationMode: options.authenticationMode ?? 'API_AND_CONFIG_MAP',
      },
      nodeRoles: (options.nodeRoles ?? []).map((source) => ({ ...source })),
    });
  }

  remove(cluster: ClusterRef): void {
    this.clusters.delete(clusterKey(cluster));
  }

  async describe(cluster: ClusterRef): Promise<ClusterEndpoint> {
    return { ...this.get(cluster).endpoint };
  }

  async nodeRoles(cluster: ClusterRef): Promise<readonly NodeRoleSource[]> {
    return this.get(cluster).nodeRoles.map((source) => ({ ...source }));
  }

  forget(_cluster: ClusterRef): void {
    this.forgotten += 1;
  }

  private get(cluster: ClusterRef): ClusterRecord {
    const record = this.clusters.get(clusterKey(cluster));
    if (record === undefined) {
      throw new HubError(
        'terminal',
        'aws.not-found',
        `eks:DescribeCluster ${cluster.name}: ResourceNotFoundException: No cluster found for name: ${cluster.name}.`,
      );
    }
    return record;
  }
}

/**
 * `kube-system/aws-auth` and its history, per cluster (keyed by `clusterKey`). Writes are conditioned
 * like the API server's: a stale resourceVersion or an existing object on create is a conflict, an
 * immutable object or data over 1 MiB is refused; every change gets a new resourceVersion.
 */
export class InMemoryAwsAuthStore implements AwsAuthStore {
  readonly objects = new Map<string, ObservedAwsAuth>();
  readonly histories = new Map<string, { entries: readonly HistoryEntry[]; resourceVersion: string }>();
  private version = 1;
  /** aws-auth writes that landed. */
  writes = 0;
  /** The principal the store authenticates as: verify() fails, as the API server would, when live aws-auth does not map it to system:masters. */
  principal: string | undefined;
  /** Called before each write: lets a test change the object in between (another writer). */
  beforeWrite: ((key: string) => void) | undefined;

  static key(cluster: ClusterRef): string {
    return clusterKey(cluster);
  }

  /** Sets the object under `key` as someone else would (a new resourceVersion). */
  put(key: string, data: Record<string, string>, annotations: Record<string, string> = {}, immutable?: boolean): void {
    this.objects.set(key, {
      data: { ...data },
      annotations: { ...annotations },
      resourceVersion: String(++this.version),
      ...(immutable === undefined ? {} : { immutable }),
    });
  }

  async read(cluster: ClusterRef): Promise<ObservedAwsAuth | null> {
    const o = this.objects.get(clusterKey(cluster));
    return o === undefined ? null : { ...o, data: { ...o.data }, annotations: { ...o.annotations } };
  }

  async verify(cluster: ClusterRef): Promise<void> {
    if (this.principal === undefined) return;
    const data = this.objects.get(clusterKey(cluster))?.data ?? {};
    const mapped = parseAwsAuth(data).mapRoles.some(
      (r) => r.rolearn.toLowerCase() === this.principal?.toLowerCase() && r.groups.includes('system:masters'),
    );
    if (!mapped) throw new HubError('terminal', 'kube.unauthorized', `read kube-system/aws-auth of ${cluster.name}: HTTP 401 Unauthorized`);
  }

  async readHistory(cluster: ClusterRef): Promise<{ entries: readonly HistoryEntry[]; resourceVersion: string } | null> {
    const history = this.histories.get(clusterKey(cluster));
    return history === undefined ? null : { entries: [...history.entries], resourceVersion: history.resourceVersion };
  }

  async writeHistory(
    cluster: ClusterRef,
    _endpoint: ClusterEndpoint,
    entries: readonly HistoryEntry[],
    resourceVersion: string | undefined,
  ): Promise<void> {
    const key = clusterKey(cluster);
    if (this.histories.get(key)?.resourceVersion !== resourceVersion) throw new ConflictError(`history conflict on ${key}`);
    this.histories.set(key, { entries: [...entries], resourceVersion: String(++this.version) });
  }

  async write(cluster: ClusterRef, _endpoint: ClusterEndpoint, change: AwsAuthWrite): Promise<void> {
    const key = clusterKey(cluster);
    this.beforeWrite?.(key);
    const current = this.objects.get(key);
    if (change.create ? current !== undefined : current?.resourceVersion !== change.resourceVersion) {
      throw new ConflictError(`conflict on ${key}`);
    }
    if (current?.immutable === true) {
      throw new HubError(
        'terminal',
        'kube.rejected',
        `replace kube-system/aws-auth of ${cluster.name}: HTTP 422 Invalid: data: Forbidden: field is immutable when \`immutable\` is set`,
      );
    }
    if (configMapDataBytes(change.data) > MAX_CONFIGMAP_BYTES) {
      throw new HubError(
        'terminal',
        'kube.rejected',
        `replace kube-system/aws-auth of ${cluster.name}: HTTP 422 Invalid: []: Too long: must have at most ${MAX_CONFIGMAP_BYTES} bytes`,
      );
    }
    this.writes += 1;
    this.put(key, { ...change.data }, { ...change.annotations }, current?.immutable);
  }
}

/** A set of in-memory ports, each fake reachable by its concrete type. */
export interface InMemoryPorts {
  readonly sessions: InMemoryAccountSessions;
  readonly roles: InMemoryRoleDirectory;
  readonly clusters: InMemoryClusterDirectory;
  readonly awsAuth: InMemoryAwsAuthStore;
  readonly clock: SteppingClock;
}

/** Empty in-memory ports: put accounts' roles, clusters and aws-auth objects in, then pass them as `Ports`. */
export function inMemoryPorts(clock: SteppingClock = new SteppingClock()): InMemoryPorts {
  return {
    sessions: new InMemoryAccountSessions(),
    roles: new InMemoryRoleDirectory(),
    clusters: new InMemoryClusterDirectory(),
    awsAuth: new InMemoryAwsAuthStore(),
    clock,
  };
}
