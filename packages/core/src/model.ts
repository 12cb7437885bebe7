/** Domain types shared by the loader, the planner and the ports. */
import type { Partition } from './arn.js';

export interface RoleMapping {
  readonly rolearn: string;
  readonly username: string;
  readonly groups: readonly string[];
}

export interface UserMapping {
  readonly userarn: string;
  readonly username: string;
  readonly groups: readonly string[];
}

/** A role mapping as the file states it: a concrete ARN, or a permission set to resolve. */
export type DesiredRoleMapping =
  | { readonly kind: 'rolearn'; readonly rolearn: string; readonly username: string; readonly groups: readonly string[] }
  | {
      readonly kind: 'permissionset';
      readonly permissionSet: string;
      readonly username: string;
      readonly groups: readonly string[];
    };

export type Ownership = 'full' | 'merge';

export interface GuardSettings {
  /** Largest share (0..1) of live entries one write may remove. */
  readonly maxRemovalRatio: number;
}

export interface HubSettings {
  readonly roleName: string;
  readonly externalId?: string;
  /** Role (in each account) the hub may use only to undo a lockout it caused: the clusters' creator. */
  readonly recoveryRoleName?: string;
  readonly sessionName: string;
  readonly interval: string;
  readonly intervalMs: number;
  readonly concurrency: number;
  readonly accountConcurrency: number;
  /** No answer from an AWS or Kubernetes endpoint within this long fails that request. */
  readonly requestTimeout: string;
  readonly requestTimeoutMs: number;
  /** Deadline of one pass (hub.passTimeout, default: the interval, at least a minute). */
  readonly passTimeout: string;
  readonly passTimeoutMs: number;
  readonly guard: GuardSettings;
}

/** One cluster's effective desired state: defaults merged in, `$ACCOUNTID` substituted. */
export interface ClusterSpec {
  /** `<account>/<region>/<name>`: unique in a file. */
  readonly id: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly partition: Partition;
  readonly ownership: Ownership;
  readonly nodeRoles: readonly string[];
  readonly mapRoles: readonly DesiredRoleMapping[];
  readonly mapUsers: readonly UserMapping[];
  readonly mapAccounts: readonly string[];
  /** sha256 of this cluster's desired mappings and ownership; recorded on every write. */
  readonly desiredHash: string;
}

export interface DesiredState {
  readonly file: string;
  readonly hub: HubSettings;
  readonly clusters: readonly ClusterSpec[];
  /** sha256 of the whole desired state. */
  readonly hash: string;
}
