/** The hub's ports wired to AWS and the clusters. */
import type { Clock, HubSettings, Ports } from '@eks-auth-hub/core';
import { ClusterTokens } from './cluster-token.js';
import { type ClusterCacheOptions, EksClusterDirectory } from './eks-cluster-directory.js';
import { IamRoleDirectory } from './iam-role-directory.js';
import { KubeAgents } from './kube-agents.js';
import { KubeAwsAuthStore } from './kube-aws-auth-store.js';
import type { SdkOptions } from './sdk-options.js';
import { StsAccountSessions } from './sessions.js';

export interface AwsPortsOptions extends SdkOptions {
  readonly hub: Pick<HubSettings, 'roleName' | 'externalId' | 'sessionName' | 'recoveryRoleName'> &
    Partial<Pick<HubSettings, 'requestTimeoutMs'>>;
  readonly clock?: Clock;
  /** How long and how many cluster descriptions are kept (expiry measured with `clock`). */
  readonly clusterCache?: Omit<ClusterCacheOptions, 'now' | 'allowedEndpointHosts'>;
  /** API server hosts allowed beyond the partition's EKS hosts (default: EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS). */
  readonly allowedEndpointHosts?: readonly string[];
  /** Wait after renewing a refused session before the call is made again (default 2 s). */
  readonly sessionRefreshBackoffMs?: number;
}

export interface AwsPorts extends Ports {
  readonly sessions: StsAccountSessions;
  readonly roles: IamRoleDirectory;
  readonly clusters: EksClusterDirectory;
  readonly awsAuth: KubeAwsAuthStore;
  readonly tokens: ClusterTokens;
  readonly recovery?: KubeAwsAuthStore;
}

const systemClock: Clock = { now: () => new Date() };

export function createAwsPorts(options: AwsPortsOptions): AwsPorts {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now().getTime();
  // An explicit option (tests) wins over the file's hub.requestTimeout.
  const requestTimeoutMs = options.requestTimeoutMs ?? options.hub.requestTimeoutMs;
  const sdk: SdkOptions = {
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: options.connectionTimeoutMs }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  };
  const sessions = new StsAccountSessions({
    ...sdk,
    roleName: options.hub.roleName,
    sessionName: options.hub.sessionName,
    ...(options.hub.externalId === undefined ? {} : { externalId: options.hub.externalId }),
    ...(options.sessionRefreshBackoffMs === undefined ? {} : { refreshBackoffMs: options.sessionRefreshBackoffMs }),
    now,
  });
  const tokens = new ClusterTokens(sessions, now);
  const agents = new KubeAgents();
  const allowed = options.allowedEndpointHosts === undefined ? {} : { allowedEndpointHosts: options.allowedEndpointHosts };
  const storeOptions = {
    ...allowed,
    ...(sdk.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: sdk.requestTimeoutMs }),
    ...(sdk.maxAttempts === undefined ? {} : { maxAttempts: sdk.maxAttempts }),
    ...(sdk.observer === undefined ? {} : { observer: sdk.observer }),
  };
  // The recovery principal: its own sessions and tokens, used only to undo a lockout.
  const recoveryRole = options.hub.recoveryRoleName;
  const recovery =
    recoveryRole === undefined
      ? undefined
      : new KubeAwsAuthStore(
          new ClusterTokens(
            new StsAccountSessions({
              ...sdk,
              roleName: recoveryRole,
              sessionName: options.hub.sessionName,
              ...(options.hub.externalId === undefined ? {} : { externalId: options.hub.externalId }),
              now,
            }),
            now,
          ),
          storeOptions,
          agents,
        );
  return {
    sessions,
    roles: new IamRoleDirectory(sessions, sdk),
    clusters: new EksClusterDirectory(sessions, sdk, { ...options.clusterCache, now, ...allowed }),
    awsAuth: new KubeAwsAuthStore(tokens, storeOptions, agents),
    ...(recovery === undefined ? {} : { recovery }),
    tokens,
    clock,
  };
}
