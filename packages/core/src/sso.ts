/**
 * Resolving IAM Identity Center permission set names to the role that Identity Center created for
 * them in one account. Pure: the caller lists the account's roles and passes them in.
 */
import { type Partition, REGION_PATTERN, roleArn } from './arn.js';
import type { IamRole } from './world.js';

export const SSO_PATH_PREFIX = '/aws-reserved/sso.amazonaws.com/';
const SSO_ROLE_NAME = /^AWSReservedSSO_(.+)_([0-9a-f]{16})$/;

export type Resolution =
  | {
      readonly status: 'resolved';
      readonly permissionSet: string;
      /** Role ARN as aws-auth must hold it: the cluster's partition and account, no path. */
      readonly roleArn: string;
      readonly roleName: string;
    }
  | {
      readonly status: 'unresolved';
      readonly permissionSet: string;
      /** Permission sets of the account whose names differ only in case or by a typo or two, closest first. */
      readonly didYouMean?: readonly string[];
    }
  | {
      readonly status: 'ambiguous';
      readonly permissionSet: string;
      /** Every matching role ARN (no path), sorted. The planner keeps live entries for them. */
      readonly candidates: readonly string[];
    };

/** Whether `path` is an Identity Center role path: the SSO prefix, or it plus one region segment. */
export function isSsoPath(path: string): boolean {
  if (path === SSO_PATH_PREFIX) return true;
  if (!path.startsWith(SSO_PATH_PREFIX) || !path.endsWith('/')) return false;
  return REGION_PATTERN.test(path.slice(SSO_PATH_PREFIX.length, -1));
}

/** The permission set name of an Identity Center role name, or undefined. */
export function permissionSetOfRoleName(roleName: string): string | undefined {
  return SSO_ROLE_NAME.exec(roleName)?.[1];
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), given up above `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      current.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/**
 * Names among `known` that `name` probably meant: the same name in another case, or one a typo or
 * two away (compared without case; one edit for names up to 8 characters, two above), closest
 * first, at most three. Exact matching stays the rule: this only helps a person fix the file.
 */
export function nearMisses(name: string, known: Iterable<string>): string[] {
  const lower = name.toLowerCase();
  const limit = name.length <= 8 ? 1 : 2;
  const found: { name: string; distance: number }[] = [];
  for (const candidate of known) {
    if (candidate === name) continue;
    const distance = editDistance(lower, candidate.toLowerCase(), limit);
    if (distance <= limit) found.push({ name: candidate, distance });
  }
  found.sort((x, y) => x.distance - y.distance || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return found.slice(0, 3).map((f) => f.name);
}

/** Indexes already built, per listing (the same array for every cluster of an account in a pass). */
const built = new WeakMap<Iterable<IamRole>, Map<string, SsoRoleIndex>>();

/** The Identity Center roles of one account, indexed by permission set name (exact, case-sensitive). */
export class SsoRoleIndex {
  private readonly byPermissionSet = new Map<string, string[]>();
  /** Resolutions made so far: the same (immutable) answer for every cluster that asks. */
  private readonly resolved = new Map<string, Resolution>();

  /** The index of `roles` for `account`: built once per listing and shared by every cluster that uses it. */
  static of(roles: readonly IamRole[], partition: Partition, account: string): SsoRoleIndex {
    let indexes = built.get(roles);
    if (indexes === undefined) {
      indexes = new Map();
      built.set(roles, indexes);
    }
    const key = `${partition}/${account}`;
    let index = indexes.get(key);
    if (index === undefined) {
      index = new SsoRoleIndex(roles, partition, account);
      indexes.set(key, index);
    }
    return index;
  }

  constructor(roles: Iterable<IamRole>, partition: Partition, account: string) {
    for (const role of roles) {
      if (!isSsoPath(role.path)) continue;
      const permissionSet = permissionSetOfRoleName(role.roleName);
      if (permissionSet === undefined) continue;
      const arn = roleArn(partition, account, role.roleName);
      const existing = this.byPermissionSet.get(permissionSet);
      if (existing === undefined) this.byPermissionSet.set(permissionSet, [arn]);
      else if (!existing.includes(arn)) existing.push(arn);
    }
    for (const arns of this.byPermissionSet.values()) arns.sort();
  }

  resolve(permissionSet: string): Resolution {
    let resolution = this.resolved.get(permissionSet);
    if (resolution === undefined) {
      resolution = this.resolveNow(permissionSet);
      this.resolved.set(permissionSet, resolution);
    }
    return resolution;
  }

  private resolveNow(permissionSet: string): Resolution {
    const arns = this.byPermissionSet.get(permissionSet) ?? [];
    const [only] = arns;
    if (arns.length === 1 && only !== undefined) {
      return { status: 'resolved', permissionSet, roleArn: only, roleName: only.slice(only.lastIndexOf('/') + 1) };
    }
    if (arns.length === 0) {
      const didYouMean = nearMisses(permissionSet, this.byPermissionSet.keys());
      return didYouMean.length === 0 ? { status: 'unresolved', permissionSet } : { status: 'unresolved', permissionSet, didYouMean };
    }
    return { status: 'ambiguous', permissionSet, candidates: [...arns] };
  }

  /** Number of distinct permission sets seen. */
  get size(): number {
    return this.byPermissionSet.size;
  }
}
