/** A mapping entry and its identity: the key the authenticator matches it by, and when two entries grant the same. */
import { arnKey } from '../arn.js';

/** A mapping entry of any of the three keys. */
export type Entry =
  | { readonly kind: 'role'; readonly rolearn: string; readonly username: string; readonly groups: readonly string[] }
  | { readonly kind: 'user'; readonly userarn: string; readonly username: string; readonly groups: readonly string[] }
  | { readonly kind: 'account'; readonly account: string };

/** Identity of an entry as the authenticator sees it: kind + ARN (lower case) or account. */
export function entryKey(entry: Entry): string {
  switch (entry.kind) {
    case 'role':
      return `role:${arnKey(entry.rolearn)}`;
    case 'user':
      return `user:${arnKey(entry.userarn)}`;
    case 'account':
      return `account:${entry.account}`;
  }
}

/** The ARN or account an entry names, as written. */
export function entrySubject(entry: Entry): string {
  return entry.kind === 'role' ? entry.rolearn : entry.kind === 'user' ? entry.userarn : entry.account;
}

/** Groups as a set: order and repetition do not count. */
export function groupSet(groups: readonly string[]): string[] {
  return [...new Set(groups)].sort();
}

/** Whether two entries with the same key grant the same thing. */
export function sameGrant(a: Entry, b: Entry): boolean {
  if (a.kind === 'account' || b.kind === 'account') return a.kind === b.kind;
  if (a.username !== b.username) return false;
  // The same list is the same set (the common case: no sorting needed to see it).
  if (a.groups.length === b.groups.length && a.groups.every((g, i) => g === b.groups[i])) return true;
  const ga = groupSet(a.groups);
  const gb = groupSet(b.groups);
  return ga.length === gb.length && ga.every((g, i) => g === gb[i]);
}

/** The entries of all three keys, roles first. */
export function allEntries(parsed: {
  readonly mapRoles: readonly Entry[];
  readonly mapUsers: readonly Entry[];
  readonly mapAccounts: readonly Entry[];
}): Entry[] {
  return [...parsed.mapRoles, ...parsed.mapUsers, ...parsed.mapAccounts];
}
