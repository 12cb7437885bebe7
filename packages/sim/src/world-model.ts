/** The things the simulated world holds: accounts, IAM roles, credentials and sessions, clusters and what is in them. */
import type { ConfigMapObject } from './configmap.js';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface Trust {
  readonly principal: string;
  readonly externalId?: string | undefined;
}

export interface Role {
  readonly name: string;
  readonly path: string;
  readonly roleId: string;
  readonly arn: string;
  readonly createDate: Date;
  readonly trust: readonly Trust[];
  readonly maxSessionDurationSeconds: number;
  /** Set for Identity Center roles. */
  readonly permissionSet?: string;
  /**
   * "Revoke active sessions": the `AWSRevokeOlderSessions` inline policy, a deny of everything to
   * sessions whose `aws:TokenIssueTime` is before this time (epoch ms of the world's clock).
   */
  revokedBefore?: number;
}

export interface Account {
  readonly id: string;
  /** Roles by lower-case name, in creation order. */
  readonly roles: Map<string, Role>;
  /** Clusters by `<region>/<name>`. */
  readonly clusters: Map<string, Cluster>;
}

export interface Nodegroup {
  readonly name: string;
  readonly nodeRole: string;
  readonly amiType: string;
  readonly createdAt: Date;
}

export interface FargateProfile {
  readonly name: string;
  readonly podExecutionRoleArn: string;
  readonly createdAt: Date;
}

export interface Cluster {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  /** Opaque id used in the simulated API server's URL path. */
  readonly id: string;
  readonly arn: string;
  readonly version: string;
  readonly authenticationMode: 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';
  readonly creator: string | undefined;
  readonly createdAt: Date;
  readonly nodegroups: Map<string, Nodegroup>;
  readonly fargateProfiles: Map<string, FargateProfile>;
  /** ConfigMaps by `<namespace>/<name>`. */
  readonly configMaps: Map<string, ConfigMapObject>;
  resourceVersion: number;
  /** What DescribeCluster names as the endpoint instead of the simulated API server (control API); a recreated cluster has none. */
  endpointOverride?: string;
}

/** Credentials the simulator knows: the hub's static key, and every session it issued. */
export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Epoch ms; undefined for static keys. */
  readonly expiresAt?: number;
  readonly account: string;
  /** The caller ARN GetCallerIdentity reports. */
  readonly arn: string;
  readonly userId: string;
  /** For sessions: the role assumed. */
  readonly roleArn?: string;
  /** For sessions: the id of the role assumed (a role created again under the same name has another). */
  readonly roleId?: string;
  /** For sessions: when it was issued (epoch ms of the world's clock), its `aws:TokenIssueTime`. */
  readonly issuedAt?: number;
}

/**
 * Why IAM denies every call of a session, evaluated per call as IAM does: `implicit` when its role no
 * longer exists (deleted, or deleted and created again under the same name: another role id, with
 * none of the old one's policies), `explicit` when the role's sessions issued before a time were
 * revoked. Undefined for static keys and for sessions in good standing.
 */
export type SessionDenial = 'implicit' | 'explicit';
