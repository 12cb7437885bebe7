/**
 * The world as the ports report it: how a cluster is named and reached, what its aws-auth holds, and
 * what the accounts list. The ports speak these types; the planner reads them.
 */
import type { Partition } from './arn.js';

/** Identifies one cluster. */
export interface ClusterRef {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly partition: Partition;
}

export type AuthenticationMode = 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';

/** What DescribeCluster says about how to reach a cluster. */
export interface ClusterEndpoint {
  readonly endpoint: string;
  /** PEM of the cluster's certificate authority. */
  readonly caPem: string;
  readonly authenticationMode: AuthenticationMode;
  /** Set when this is what the directory kept from an earlier pass, not an answer from EKS just now. */
  readonly cached?: boolean;
}

/** The aws-auth ConfigMap as read from the cluster. */
export interface ObservedAwsAuth {
  readonly data: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly resourceVersion: string;
  /** binaryData as read (standard base64): the authenticator never reads it and the hub never changes it. */
  readonly binaryData?: Readonly<Record<string, string>>;
  /** `immutable: true`: the API server refuses any change to data and binaryData. */
  readonly immutable?: boolean;
}

/** A listing is either complete (every page) or failed; a failed listing is never an empty one. */
export type Listing<T> = { readonly complete: true; readonly items: readonly T[] } | { readonly complete: false; readonly reason: string };

/** An IAM role as `ListRoles` returns it. */
export interface IamRole {
  readonly roleName: string;
  readonly path: string;
  readonly arn: string;
  readonly roleId: string;
  readonly createDate: Date | string;
}

/** Where a node role comes from. */
export type NodeRoleSource =
  | { readonly kind: 'nodegroup'; readonly name: string; readonly roleArn: string; readonly amiType: string }
  | { readonly kind: 'fargate'; readonly name: string; readonly roleArn: string }
  | { readonly kind: 'extra'; readonly roleArn: string };

/** One replaced version of a cluster's aws-auth, as its history keeps it. */
export interface HistoryEntry {
  /** When it was replaced (ISO 8601). */
  readonly replacedAt: string;
  /** The pass that replaced it. */
  readonly passId: string;
  /** The desired-state hash it had been written from (empty when not written by the hub). */
  readonly desiredHash: string;
  /** The aws-auth mapping keys as they were. */
  readonly data: Readonly<Record<string, string>>;
  /** The resourceVersion that version had: each version is kept once, however many writes raced to replace it. */
  readonly resourceVersion?: string;
}
