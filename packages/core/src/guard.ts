/**
 * The guard: no write may lock anyone out. A plan is applied only when every rule passes; each
 * refusal names its rule, so it can be counted, logged and explained.
 */
import { ACCOUNT_PATTERN, parseIamArn, REGION_PATTERN } from './arn.js';
import { AWS_AUTH_KEYS, configMapDataBytes, MAX_CONFIGMAP_DATA_BYTES } from './aws-auth/config-map.js';
import { type Entry, entryKey, sameGrant } from './aws-auth/entry.js';
import { type ParsedAwsAuth, parseAwsAuth } from './aws-auth/read.js';
import type { ClusterSpec } from './model.js';
import { isCanonicalNodeUsername, isNodeEntry } from './node-mappings.js';
import { PERMISSION_SET_PATTERN } from './schema.js';
import { checkMappedName } from './templates.js';

export const GUARD_RULES = [
  'invalid-desired-state',
  'incomplete-listing',
  'live-unparseable',
  'node-mapping-removed',
  'hub-mapping-removed',
  'mass-removal',
  'render-invalid',
] as const;
export type GuardRule = (typeof GUARD_RULES)[number];

export interface GuardRefusal {
  readonly rule: GuardRule;
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------
// Rule 1: the desired state of the cluster is valid. The loader guarantees this for specs read from
// a file; the guard checks again so a spec built any other way cannot slip through.

export function validateClusterSpec(spec: ClusterSpec): string[] {
  const problems: string[] = [];
  if (!ACCOUNT_PATTERN.test(spec.account)) problems.push(`account ${spec.account} is not 12 digits`);
  if (!REGION_PATTERN.test(spec.region)) problems.push(`region ${spec.region} is not a region`);
  const checkArn = (arn: string, type: 'role' | 'user', what: string): void => {
    const parsed = parseIamArn(arn);
    if (!parsed.ok) problems.push(`${what} ${arn}: ${parsed.reason}`);
    else if (type === 'role' && (parsed.arn.type !== 'role' || parsed.arn.path !== '/')) {
      problems.push(`${what} ${arn} is not a role ARN without path`);
    } else if (type === 'user' && parsed.arn.type === 'role') problems.push(`${what} ${arn} is not a user ARN`);
    else if (parsed.ok && parsed.arn.partition !== spec.partition) problems.push(`${what} ${arn} is not in partition ${spec.partition}`);
  };
  const checkNames = (username: string, groups: readonly string[], what: string): void => {
    const reasons = [checkMappedName(username, 'username'), ...groups.map((g) => checkMappedName(g, 'group'))];
    for (const reason of reasons) if (reason !== undefined) problems.push(`${what}: ${reason}`);
  };
  for (const role of spec.mapRoles) {
    if (role.kind === 'rolearn') checkArn(role.rolearn, 'role', 'rolearn');
    else if (!PERMISSION_SET_PATTERN.test(role.permissionSet)) problems.push(`permission set ${role.permissionSet} is not a valid name`);
    checkNames(role.username, role.groups, role.kind === 'rolearn' ? role.rolearn : role.permissionSet);
  }
  for (const user of spec.mapUsers) {
    checkArn(user.userarn, 'user', 'userarn');
    checkNames(user.username, user.groups, user.userarn);
  }
  for (const account of spec.mapAccounts) if (!ACCOUNT_PATTERN.test(account)) problems.push(`mapAccounts ${account} is not 12 digits`);
  for (const arn of spec.nodeRoles) checkArn(arn, 'role', 'nodeRole');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Rules 1–3: whether a plan can be made at all.

export interface PreconditionInput {
  readonly cluster: ClusterSpec;
  /** Why a listing the plan depends on did not complete; empty when all did. */
  readonly incompleteListings: readonly string[];
  readonly live: ParsedAwsAuth | null;
  /** Reasons the ownership record could not be read (merge mode only). */
  readonly ownershipProblems: readonly string[];
  /** Operator's explicit permission to rewrite live content the hub cannot read. */
  readonly allowRepair: boolean;
  /** Keys of the live ConfigMap's binaryData (the hub never changes binaryData). */
  readonly binaryDataKeys?: readonly string[];
}

export function checkPreconditions(input: PreconditionInput): GuardRefusal[] {
  const refusals: GuardRefusal[] = [];
  for (const problem of validateClusterSpec(input.cluster)) {
    refusals.push({ rule: 'invalid-desired-state', message: problem });
  }
  for (const reason of input.incompleteListings) {
    refusals.push({ rule: 'incomplete-listing', message: reason });
  }
  if (!input.allowRepair) {
    for (const problem of input.live?.problems ?? []) {
      // A misread entry (read, not as written) is refused only when the write leaves it as it is:
      // see checkMisread, which the planner calls once it knows which entries it rewrites.
      if (problem.severity !== 'error' || problem.misreadEntry !== undefined) continue;
      const where = problem.index === undefined ? problem.key : `${problem.key}[${problem.index}]`;
      refusals.push({ rule: 'live-unparseable', message: `live aws-auth ${where}: ${problem.message}` });
    }
    for (const problem of input.ownershipProblems) refusals.push({ rule: 'live-unparseable', message: problem });
  }
  // Not repairable: the hub would have to drop binaryData, which it never does.
  for (const key of input.binaryDataKeys ?? []) {
    if (!(AWS_AUTH_KEYS as readonly string[]).includes(key)) continue;
    refusals.push({
      rule: 'live-unparseable',
      message: `live aws-auth binaryData.${key}: the authenticator reads ${key} only from data, and the API server refuses data.${key} while binaryData holds that key; move it to data (or remove it) by hand`,
    });
  }
  return refusals;
}

/**
 * Rule 3 for entries the authenticator reads but not as written (an unquoted `0o17` username is
 * the integer 15 to it, so the username it uses is empty): a write that replaces such an entry with
 * the file's own repairs it; one that would keep it, re-rendered as the authenticator sees it,
 * changes text the hub does not own, so it is refused unless the operator allows repairs.
 */
export function checkMisread(live: ParsedAwsAuth | null, rewritten: ReadonlySet<string>, allowRepair: boolean): GuardRefusal[] {
  if (allowRepair) return [];
  const refusals: GuardRefusal[] = [];
  for (const problem of live?.problems ?? []) {
    if (problem.misreadEntry === undefined || rewritten.has(problem.misreadEntry)) continue;
    const where = problem.index === undefined ? problem.key : `${problem.key}[${problem.index}]`;
    refusals.push({ rule: 'live-unparseable', message: `live aws-auth ${where}: ${problem.message}` });
  }
  return refusals;
}

// ---------------------------------------------------------------------------------------------
// Rules 4–7: whether a computed write is safe.

export interface WriteCheckInput {
  /** Effective live entries (empty when the ConfigMap is absent). */
  readonly live: readonly Entry[];
  /** Entries the write will leave, in order. */
  readonly next: readonly Entry[];
  /** Keys of `next` entries that the hub wrote from the file or node discovery (not kept from live). */
  readonly hubWritten: ReadonlySet<string>;
  /**
   * Keys of `next` entries that are node mappings the hub derived from EKS and the file's nodeRoles
   * (not the file's own mappings). Such an entry may restore the username EKS writes over one edited
   * by hand; it still has to keep every live group.
   */
  readonly nodeWritten?: ReadonlySet<string>;
  /** Entries the plan removes. */
  readonly removed: readonly Entry[];
  /** The aws-auth data keys as they will be sent. */
  readonly rendered: Readonly<Record<string, string>>;
  /** Canonical ARN of the principal the hub authenticates to this cluster as. */
  readonly hubPrincipalArn: string | undefined;
  readonly maxRemovalRatio: number;
  /** Bytes of what the write keeps as it is: other data values and binaryData (decoded). */
  readonly keptBytes: number;
}

function keeps(before: Entry, after: Entry | undefined): boolean {
  if (after === undefined || before.kind === 'account' || after.kind === 'account') return after !== undefined;
  return before.username === after.username && before.groups.every((g) => after.groups.includes(g));
}

export function checkWrite(input: WriteCheckInput): GuardRefusal[] {
  const refusals: GuardRefusal[] = [];
  const next = new Map(input.next.map((entry) => [entryKey(entry), entry] as const));

  // Rule 4: node mappings keep their username and groups. The one exception: the hub's own node
  // mapping for a role EKS reports may put back the username EKS writes where a hand edit replaced it
  // with one that nodes cannot register with.
  for (const entry of input.live) {
    if (entry.kind !== 'role' || !isNodeEntry(entry)) continue;
    const key = entryKey(entry);
    const after = next.get(key);
    const restoresUsername =
      after !== undefined &&
      after.kind === 'role' &&
      input.nodeWritten?.has(key) === true &&
      !isCanonicalNodeUsername(entry.username) &&
      isCanonicalNodeUsername(after.username);
    const kept = restoresUsername ? entry.groups.every((g) => after.groups.includes(g)) : keeps(entry, after);
    if (!kept) {
      refusals.push({
        rule: 'node-mapping-removed',
        message: `the write would remove or weaken the node mapping of ${entry.rolearn}; nodes using it could no longer join`,
      });
    }
  }

  // Rule 5: the hub's own mapping is kept.
  if (input.hubPrincipalArn !== undefined) {
    const key = entryKey({ kind: 'role', rolearn: input.hubPrincipalArn, username: '', groups: [] });
    const live = input.live.find((entry) => entryKey(entry) === key);
    if (live !== undefined && !keeps(live, next.get(key))) {
      refusals.push({
        rule: 'hub-mapping-removed',
        message: `the write would remove or weaken the mapping of the hub's own role ${input.hubPrincipalArn}; the hub would lock itself out`,
      });
    }
  }

  // Rule 6: no mass removal.
  if (input.live.length > 0) {
    const ratio = input.removed.length / input.live.length;
    if (ratio > input.maxRemovalRatio) {
      refusals.push({
        rule: 'mass-removal',
        message: `the write would remove ${input.removed.length} of ${input.live.length} live entries (${(ratio * 100).toFixed(0)}%); the limit is ${(input.maxRemovalRatio * 100).toFixed(0)}%`,
      });
    }
  }

  // Rule 7: the rendered data reads back, with the authenticator's rules, as exactly the intended entries.
  refusals.push(...checkRendered(input));
  return refusals;
}

/**
 * A role ARN without path, in a known partition: one that parseIamArn reads as a role with path "/" (the
 * hub's own entries, nearly always). Anything else is parsed to find out.
 */
const PLAIN_ROLE_ARN = /^arn:(?:aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role\/[\w+=,.@-]{1,64}$/;

function checkRendered(input: WriteCheckInput): GuardRefusal[] {
  const refusals: GuardRefusal[] = [];
  const refuse = (message: string): void => {
    refusals.push({ rule: 'render-invalid', message });
  };
  const renderedBytes = configMapDataBytes(input.rendered);
  if (renderedBytes + input.keptBytes > MAX_CONFIGMAP_DATA_BYTES) {
    const parts = Object.entries(input.rendered).map(([key, value]) => `${key} ${configMapDataBytes({ value })}`);
    refuse(
      `the written aws-auth would hold ${renderedBytes + input.keptBytes} bytes of data (${[...parts, `kept keys and binaryData ${input.keptBytes}`].join(', ')}); the API server accepts at most ${MAX_CONFIGMAP_DATA_BYTES}`,
    );
  }
  const reread = parseAwsAuth(input.rendered);
  for (const problem of reread.problems) {
    const where = problem.index === undefined ? problem.key : `${problem.key}[${problem.index}]`;
    const entry = problem.index === undefined ? undefined : input.next.filter((e) => keyOf(e) === problem.key)[problem.index];
    const foreign = entry !== undefined && !input.hubWritten.has(entryKey(entry));
    // Oddities in entries kept verbatim from live are theirs, not the hub's.
    if (problem.severity === 'error' || !foreign) refuse(`rendered ${where}: ${problem.message}`);
  }
  const seen = new Set<string>();
  for (const entry of input.next) {
    const key = entryKey(entry);
    if (seen.has(key)) refuse(`rendered data maps ${key} twice`);
    seen.add(key);
    if (!input.hubWritten.has(key) || entry.kind === 'account') continue;
    if (entry.kind === 'role' && !PLAIN_ROLE_ARN.test(entry.rolearn)) {
      const parsed = parseIamArn(entry.rolearn);
      if (!parsed.ok || parsed.arn.type !== 'role' || parsed.arn.path !== '/')
        refuse(`rendered rolearn ${entry.rolearn} is not a role ARN without path`);
    }
    // Usernames and groups (templates, control characters) are checked by the re-read above.
  }
  const back = new Map([...reread.mapRoles, ...reread.mapUsers, ...reread.mapAccounts].map((e) => [entryKey(e), e] as const));
  if (back.size !== input.next.length || input.next.some((entry) => !sameAsRead(entry, back.get(entryKey(entry))))) {
    refuse('rendered data does not read back as the intended entries');
  }
  return refusals;
}

function keyOf(entry: Entry): string {
  return entry.kind === 'role' ? 'mapRoles' : entry.kind === 'user' ? 'mapUsers' : 'mapAccounts';
}

function sameAsRead(entry: Entry, read: Entry | undefined): boolean {
  return read !== undefined && sameGrant(entry, read);
}
