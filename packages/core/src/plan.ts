/**
 * Planning one cluster (pure): desired mappings + the account's SSO roles + the cluster's node
 * roles + the observed aws-auth → the change set, the data to write, and the guard's verdict.
 */
import { arnKey, parseIamArn } from './arn.js';
import { AWS_AUTH_KEYS, configMapDataBytes } from './aws-auth/config-map.js';
import { allEntries, type Entry, entryKey, entrySubject, sameGrant } from './aws-auth/entry.js';
import { type ParsedAwsAuth, parseAwsAuth } from './aws-auth/read.js';
import { renderAwsAuth } from './aws-auth/render.js';
import { checkMisread, checkPreconditions, checkWrite, type GuardRefusal } from './guard.js';
import type { ClusterSpec, GuardSettings } from './model.js';
import { isNodeEntry, nodeMappings, reconcileNodeEntry } from './node-mappings.js';
import {
  editedSinceLastWrite,
  isForeign,
  type LiveOwnership,
  leftToItsWriter,
  liveOwnership,
  neverWrittenByHub,
  ownershipRecord,
  ownershipRecordChanged,
  writeAnnotations,
} from './ownership.js';
import { permissionSetOfRoleName, type Resolution, SsoRoleIndex } from './sso.js';
import type { IamRole, Listing, NodeRoleSource, ObservedAwsAuth } from './world.js';

export interface PlanInput {
  readonly cluster: ClusterSpec;
  /** The SSO roles of the cluster's account (`ListRoles` under the SSO path). */
  readonly roles: Listing<IamRole>;
  /** Node roles discovered from node groups and Fargate profiles (the file's `nodeRoles` are added here). */
  readonly nodes: Listing<NodeRoleSource>;
  /** null: the cluster has no aws-auth yet. */
  readonly observed: ObservedAwsAuth | null;
  /** Canonical ARN of the principal the hub authenticates to the cluster as. */
  readonly hubPrincipalArn?: string;
  readonly guard: GuardSettings;
  /** Rewrite live content the hub cannot read (an operator's explicit choice). */
  readonly allowRepair?: boolean;
  /** The caller's clock; recorded in an annotation on write. */
  readonly now: Date;
}

export interface EntryChange {
  readonly before: Entry;
  readonly after: Entry;
}

export interface ChangeSet {
  readonly added: readonly Entry[];
  readonly removed: readonly Entry[];
  readonly changed: readonly EntryChange[];
}

export type PlanAction = 'noop' | 'write' | 'blocked';

export interface Plan {
  readonly clusterId: string;
  readonly action: PlanAction;
  /** True when the ConfigMap does not exist yet and the write creates it. */
  readonly create: boolean;
  readonly changes: ChangeSet;
  /** The whole new ConfigMap data (keys other than the three mapping keys kept as they were). */
  readonly data: Readonly<Record<string, string>> | undefined;
  /** Annotations the write sets (others on the ConfigMap are kept). */
  readonly annotations: Readonly<Record<string, string>>;
  /** resourceVersion the write must be conditioned on (undefined on create). */
  readonly resourceVersion: string | undefined;
  readonly resolutions: readonly Resolution[];
  readonly unresolved: readonly string[];
  readonly ambiguous: readonly { readonly permissionSet: string; readonly candidates: readonly string[] }[];
  readonly refusals: readonly GuardRefusal[];
  readonly warnings: readonly string[];
  readonly desiredHash: string;
  /**
   * The live mappings differ from what the hub last wrote (edited by someone else), or, before the
   * hub's first write, the write changes or removes live entries (written by hand or another tool).
   */
  readonly drift: boolean;
}

const EMPTY_CHANGES: ChangeSet = { added: [], removed: [], changed: [] };

/**
 * The plan for one cluster: read what is live and who owns it, check that planning may go on, resolve
 * the file's entries, decide what the hub writes and what stays from live, render the new data, and
 * let the guard judge the write.
 */
export function plan(input: PlanInput): Plan {
  const { cluster, observed } = input;
  const live: ParsedAwsAuth | null = observed === null ? null : parseAwsAuth(observed.data);
  const ownership = liveOwnership(cluster.ownership, observed);
  const binaryDataKeys = Object.keys(observed?.binaryData ?? {});
  const warnings = liveWarnings(live, ownership, binaryDataKeys);
  const base = {
    drift: editedSinceLastWrite(observed),
    clusterId: cluster.id,
    create: observed === null,
    resourceVersion: observed?.resourceVersion,
    desiredHash: cluster.desiredHash,
    warnings,
  };
  const preconditions = checkPreconditions({
    cluster,
    incompleteListings: incompleteListings(input),
    live,
    ownershipProblems: ownership.problem !== undefined && cluster.ownership === 'merge' ? [ownership.problem] : [],
    allowRepair: input.allowRepair === true,
    binaryDataKeys,
  });
  if (preconditions.length > 0 || !input.roles.complete || !input.nodes.complete) return blockedBeforePlanning(base, preconditions);

  const desired = desiredEntries(cluster, input.roles.items);
  const nodes = nodeMappings([...input.nodes.items, ...cluster.nodeRoles.map((roleArn) => ({ kind: 'extra' as const, roleArn }))]);
  warnings.push(...nodes.warnings);
  const liveEntries = live === null ? [] : allEntries(live);
  const written = hubEntries(desired.entries, nodes.entries, liveEntries, ownership, warnings);
  const next = withKeptLive(written.next, liveEntries, ownership, {
    hubKey: input.hubPrincipalArn === undefined ? undefined : `role:${arnKey(input.hubPrincipalArn)}`,
    keepLive: desired.keepLive,
  });

  const changes = diff(liveEntries, [...next.values()], cluster.account);
  const entries = [...next.values()];
  const record = ownershipRecord(written.hubWritten);
  const { data, rendered, keptBytes } = newData(observed, entries);
  const annotations = writeAnnotations(record, cluster.desiredHash, input.now, data);
  // Before the hub's first write there is no record of what it wrote: whatever live entries the write
  // changes or removes were written by hand (or another tool), and setting them back is drift too.
  const firstWriteReverts = neverWrittenByHub(observed) && changes.changed.length + changes.removed.length > 0;
  const common = {
    ...base,
    drift: base.drift || firstWriteReverts,
    resolutions: desired.resolutions,
    ...resolutionSummary(desired.resolutions),
    annotations,
    data,
  };

  const misread = checkMisread(live, written.hubWritten, input.allowRepair === true);
  if (misread.length > 0) return { ...common, action: 'blocked', changes, refusals: misread };
  const changed = changes.added.length + changes.removed.length + changes.changed.length > 0;
  if (!changed && !ownershipRecordChanged(ownership, observed, record)) {
    return { ...common, action: 'noop', changes, refusals: [] };
  }
  const refusals = checkWrite({
    live: liveEntries,
    next: entries,
    hubWritten: written.hubWritten,
    nodeWritten: written.nodeWritten,
    removed: changes.removed,
    rendered,
    hubPrincipalArn: input.hubPrincipalArn,
    maxRemovalRatio: input.guard.maxRemovalRatio,
    keptBytes,
  });
  return { ...common, action: refusals.length > 0 ? 'blocked' : 'write', changes, refusals };
}

/** What the live aws-auth gives to warn about: its problems, an unreadable ownership record under full ownership, binaryData. */
function liveWarnings(live: ParsedAwsAuth | null, ownership: LiveOwnership, binaryDataKeys: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const problem of live?.problems ?? []) {
    // Misread entries are reported here too: whether they block is decided once the plan is known.
    if (problem.severity === 'warning' || problem.misreadEntry !== undefined) {
      warnings.push(`live aws-auth ${problem.key}${problem.index === undefined ? '' : `[${problem.index}]`}: ${problem.message}`);
    }
  }
  if (ownership.problem !== undefined && ownership.mode === 'full') warnings.push(ownership.problem);
  if (binaryDataKeys.length > 0) {
    warnings.push(
      `live aws-auth has binaryData (${binaryDataKeys.join(', ')}); the authenticator reads only data, and the hub keeps binaryData as it is`,
    );
  }
  return warnings;
}

/** Why the listings the plan needs are missing, one line each. */
function incompleteListings(input: PlanInput): string[] {
  const { cluster } = input;
  return [
    ...(input.roles.complete ? [] : [`listing the SSO roles of account ${cluster.account} failed: ${input.roles.reason}`]),
    ...(input.nodes.complete ? [] : [`listing the node roles of cluster ${cluster.name} failed: ${input.nodes.reason}`]),
  ];
}

type PlanBase = Pick<Plan, 'drift' | 'clusterId' | 'create' | 'resourceVersion' | 'desiredHash' | 'warnings'>;

/** A plan blocked before anything was planned: nothing to write, nothing resolved. */
function blockedBeforePlanning(base: PlanBase, refusals: readonly GuardRefusal[]): Plan {
  return {
    ...base,
    action: 'blocked',
    changes: EMPTY_CHANGES,
    data: undefined,
    annotations: {},
    resolutions: [],
    unresolved: [],
    ambiguous: [],
    refusals,
  };
}

/**
 * The file's entries for the cluster, with its permission sets resolved against the account's SSO
 * roles; `keepLive` holds the keys of live entries to keep as they are (an ambiguous set's candidates).
 */
function desiredEntries(
  cluster: ClusterSpec,
  roles: readonly IamRole[],
): { readonly entries: Entry[]; readonly resolutions: Resolution[]; readonly keepLive: ReadonlySet<string> } {
  const index = SsoRoleIndex.of(roles, cluster.partition, cluster.account);
  const resolutions: Resolution[] = [];
  const desired: Entry[] = [];
  const keepLive = new Set<string>();
  for (const mapping of cluster.mapRoles) {
    if (mapping.kind === 'rolearn') {
      desired.push({ kind: 'role', rolearn: mapping.rolearn, username: mapping.username, groups: mapping.groups });
      continue;
    }
    const resolution = index.resolve(mapping.permissionSet);
    resolutions.push(resolution);
    if (resolution.status === 'resolved') {
      desired.push({ kind: 'role', rolearn: resolution.roleArn, username: mapping.username, groups: mapping.groups });
    } else if (resolution.status === 'ambiguous') {
      // Never guess: whatever is live for any candidate stays as it is.
      for (const candidate of resolution.candidates) keepLive.add(`role:${arnKey(candidate)}`);
    }
  }
  for (const user of cluster.mapUsers) desired.push({ kind: 'user', ...user });
  for (const account of cluster.mapAccounts) desired.push({ kind: 'account', account });
  return { entries: desired, resolutions, keepLive };
}

/**
 * What the hub itself writes: the file's entries win over node mappings for the same role; under
 * merge, an entry someone else wrote is left to them (reported in `warnings`).
 */
function hubEntries(
  desired: readonly Entry[],
  nodeEntries: readonly Extract<Entry, { kind: 'role' }>[],
  liveEntries: readonly Entry[],
  ownership: LiveOwnership,
  warnings: string[],
): { readonly next: ReadonlyMap<string, Entry>; readonly hubWritten: ReadonlySet<string>; readonly nodeWritten: ReadonlySet<string> } {
  const liveByKey = new Map(liveEntries.map((entry) => [entryKey(entry), entry] as const));
  const next = new Map<string, Entry>();
  const leftAlone = new Set<string>();
  const write = (entry: Entry): void => {
    const key = entryKey(entry);
    if (next.has(key) || leftAlone.has(key)) return;
    // Under merge, an entry someone else wrote is never changed: an identical one is adopted, a
    // different one stays as it is and the file's version waits (reported).
    if (leftToItsWriter(ownership, key, liveByKey.get(key), entry)) {
      warnings.push(
        `${entrySubject(entry)} is mapped in aws-auth by someone else (not in the hub's ownership record); under merge ownership the hub leaves it as it is`,
      );
      leftAlone.add(key);
      return;
    }
    next.set(key, entry);
  };
  for (const entry of desired) write(entry);
  const fromFile = new Set(next.keys());
  for (const entry of nodeEntries) write(reconcileNodeEntry(entry, liveByKey.get(entryKey(entry))));
  const hubWritten = new Set(next.keys());
  const nodeWritten = new Set([...hubWritten].filter((key) => !fromFile.has(key)));
  return { next, hubWritten, nodeWritten };
}

/** The hub's entries, then what stays from live: entries someone else owns, node entries, the hub's own role, ambiguous candidates. */
function withKeptLive(
  written: ReadonlyMap<string, Entry>,
  liveEntries: readonly Entry[],
  ownership: LiveOwnership,
  keep: { readonly hubKey: string | undefined; readonly keepLive: ReadonlySet<string> },
): Map<string, Entry> {
  const next = new Map(written);
  for (const entry of liveEntries) {
    const key = entryKey(entry);
    if (next.has(key)) continue;
    if (isForeign(ownership, key) || isNodeEntry(entry) || key === keep.hubKey || keep.keepLive.has(key)) next.set(key, entry);
  }
  return next;
}

/**
 * The whole new data: the live keys other than the three mapping keys kept as they are, the mapping
 * keys rendered from `entries`; and the bytes the kept keys (and binaryData) take.
 */
function newData(
  observed: ObservedAwsAuth | null,
  entries: readonly Entry[],
): { readonly data: Record<string, string>; readonly rendered: ReturnType<typeof renderAwsAuth>; readonly keptBytes: number } {
  const rendered = renderAwsAuth(entries);
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(observed?.data ?? {})) {
    if (!(AWS_AUTH_KEYS as readonly string[]).includes(key)) data[key] = value;
  }
  const keptBytes = configMapDataBytes(data, observed?.binaryData);
  Object.assign(data, rendered);
  return { data, rendered, keptBytes };
}

/** The permission sets that resolved to no role, and those that resolved to several. */
function resolutionSummary(resolutions: readonly Resolution[]): Pick<Plan, 'unresolved' | 'ambiguous'> {
  const unresolved = resolutions.filter((r) => r.status === 'unresolved').map((r) => r.permissionSet);
  const ambiguous = resolutions.flatMap((r) =>
    r.status === 'ambiguous' ? [{ permissionSet: r.permissionSet, candidates: r.candidates }] : [],
  );
  return { unresolved, ambiguous };
}

/**
 * The semantic difference between live and next entries. An SSO role replaced by the same permission
 * set's new role (a new suffix) is a change, not a removal plus an addition.
 */
export function diff(live: readonly Entry[], next: readonly Entry[], account: string): ChangeSet {
  const liveByKey = new Map(live.map((e) => [entryKey(e), e] as const));
  const nextByKey = new Map(next.map((e) => [entryKey(e), e] as const));
  let added: Entry[] = next.filter((e) => !liveByKey.has(entryKey(e)));
  let removed: Entry[] = live.filter((e) => !nextByKey.has(entryKey(e)));
  const changed: EntryChange[] = [];
  for (const entry of next) {
    const before = liveByKey.get(entryKey(entry));
    if (before !== undefined && !sameGrant(before, entry)) changed.push({ before, after: entry });
  }
  // Pair SSO roles re-created with a new suffix (only a removal can be paired: nothing to do when nothing goes).
  if (removed.length === 0) return { added, removed, changed };
  const ssoKey = (entry: Entry): string | undefined => {
    if (entry.kind !== 'role') return undefined;
    const parsed = parseIamArn(entry.rolearn);
    if (!parsed.ok || parsed.arn.type !== 'role' || parsed.arn.account !== account) return undefined;
    return permissionSetOfRoleName(parsed.arn.name);
  };
  const addedBySet = new Map<string, Entry>();
  for (const entry of added) {
    const set = ssoKey(entry);
    if (set !== undefined && !addedBySet.has(set)) addedBySet.set(set, entry);
  }
  const pairedAdded = new Set<Entry>();
  const pairedRemoved = new Set<Entry>();
  for (const entry of removed) {
    const set = ssoKey(entry);
    const after = set === undefined ? undefined : addedBySet.get(set);
    if (set === undefined || after === undefined || pairedAdded.has(after)) continue;
    pairedAdded.add(after);
    pairedRemoved.add(entry);
    changed.push({ before: entry, after });
  }
  added = added.filter((e) => !pairedAdded.has(e));
  removed = removed.filter((e) => !pairedRemoved.has(e));
  return { added, removed, changed };
}
