/**
 * The ports the reconcile pass is written against. Adapters (packages/aws) implement them over the
 * network; tests may implement them in memory. Every method either returns complete data or throws
 * a HubError: a failed or partial listing is never returned as a short one.
 *
 * Every method that goes over the network takes the pass's `signal` last: once it aborts, the call
 * ends (rejects) promptly and releases what it holds. An implementation that ignores it still cannot
 * hold a pass past its deadline (reconcile stops waiting), only keep a connection a little longer.
 */
import type { Partition } from './arn.js';
import type { ClusterEndpoint, ClusterRef, HistoryEntry, IamRole, NodeRoleSource, ObservedAwsAuth } from './world.js';

/**
 * Opens (and caches) the hub's session in a target account; fails when the account cannot be entered.
 * A pass opens each account once, before its other calls there: an implementation that renews a
 * session refused mid-way does so at most once per account between two opens.
 */
export interface AccountSessions {
  open(account: string, partition: Partition, signal?: AbortSignal): Promise<void>;
}

/** The Identity Center roles of an account: every page, or an error. */
export interface RoleDirectory {
  listSsoRoles(account: string, partition: Partition, signal?: AbortSignal): Promise<readonly IamRole[]>;
}

/**
 * EKS reads about one cluster. An implementation may keep what does not change (the endpoint and CA,
 * the role of a node group it has described) across passes; the listings of node groups and Fargate
 * profiles are made each time.
 */
export interface ClusterDirectory {
  describe(cluster: ClusterRef, signal?: AbortSignal): Promise<ClusterEndpoint>;
  /** Node roles of managed node groups and Fargate profiles: every page, or an error. */
  nodeRoles(cluster: ClusterRef, signal?: AbortSignal): Promise<readonly NodeRoleSource[]>;
  /**
   * Drops what is kept about the cluster, so the next `describe` and `nodeRoles` ask EKS again (its
   * endpoint stopped answering as expected: it may have been deleted and created again).
   */
  forget(cluster: ClusterRef): void;
}

/** A write of `kube-system/aws-auth`, conditioned on what was read. */
export interface AwsAuthWrite {
  /** Create (the ConfigMap did not exist) or replace (at `resourceVersion`). */
  readonly create: boolean;
  readonly resourceVersion: string | undefined;
  readonly data: Readonly<Record<string, string>>;
  /** The complete annotations to store (the caller keeps the ones it did not set). */
  readonly annotations: Readonly<Record<string, string>>;
}

/** `kube-system/aws-auth` of one cluster. A stale `resourceVersion` or an existing object on create throws a ConflictError. */
export interface AwsAuthStore {
  read(cluster: ClusterRef, endpoint: ClusterEndpoint, signal?: AbortSignal): Promise<ObservedAwsAuth | null>;
  write(cluster: ClusterRef, endpoint: ClusterEndpoint, change: AwsAuthWrite, signal?: AbortSignal): Promise<void>;
  /** Reads aws-auth with a freshly made credential: throws (kube.unauthorized / kube.forbidden) when locked out. */
  verify(cluster: ClusterRef, endpoint: ClusterEndpoint, signal?: AbortSignal): Promise<void>;
  /** The kept versions (newest first) and the history ConfigMap's resourceVersion; null when there is none. */
  readHistory(
    cluster: ClusterRef,
    endpoint: ClusterEndpoint,
    signal?: AbortSignal,
  ): Promise<{ readonly entries: readonly HistoryEntry[]; readonly resourceVersion: string } | null>;
  writeHistory(
    cluster: ClusterRef,
    endpoint: ClusterEndpoint,
    entries: readonly HistoryEntry[],
    resourceVersion: string | undefined,
    signal?: AbortSignal,
  ): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface Ports {
  readonly sessions: AccountSessions;
  readonly roles: RoleDirectory;
  readonly clusters: ClusterDirectory;
  readonly awsAuth: AwsAuthStore;
  /** The same store reached as another principal (the clusters' creator), used only to undo a lockout. */
  readonly recovery?: AwsAuthStore;
  readonly clock: Clock;
}
