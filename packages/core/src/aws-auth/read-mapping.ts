/** One mapRoles or mapUsers list item read into an entry as the authenticator reads it, and a list's effective entries. */
import { GoYamlValue } from '../go-yaml-resolve.js';
import { checkMappedName } from '../templates.js';
import type { AwsAuthKey } from './config-map.js';
import { type Entry, entryKey, entrySubject } from './entry.js';
import type { LiveProblem, LiveProblemSeverity } from './live-problem.js';

type Problems = LiveProblem[];

/** The kinds of entry that map an ARN (mapRoles and mapUsers), and their entries. */
export type MappingKind = 'role' | 'user';
export type MappingEntry<K extends MappingKind> = Extract<Entry, { kind: K }>;

const ENTRY_FIELDS: Readonly<Record<'role' | 'user', readonly string[]>> = {
  role: ['rolearn', 'username', 'groups'],
  user: ['userarn', 'username', 'groups'],
};

interface ItemProblem {
  readonly severity: LiveProblemSeverity;
  readonly message: string;
  /** The entry is read, not as written (see LiveProblem.misreadEntry). */
  readonly misread?: true;
}

/** One list item read on its own: the entry it makes (none when the authenticator drops it) and what was odd about it. */
export interface MappingItem<K extends MappingKind> {
  readonly entry: MappingEntry<K> | undefined;
  readonly problems: readonly ItemProblem[];
}

export function readMappingItem<K extends MappingKind>(kind: K, raw: unknown): MappingItem<K> {
  const problems: ItemProblem[] = [];
  const dropped = (message: string): MappingItem<K> => {
    problems.push({ severity: 'error', message });
    return { entry: undefined, problems };
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof GoYamlValue) return dropped('entry is not a mapping');
  const arnField = kind === 'role' ? 'rolearn' : 'userarn';
  // Field names are matched without case, as Go's JSON decoding does.
  const fields = new Map<string, unknown>();
  for (const [name, fieldValue] of Object.entries(raw as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (!ENTRY_FIELDS[kind].includes(lower)) {
      problems.push({ severity: 'warning', message: `unknown field "${name}" is ignored by the authenticator` });
      continue;
    }
    if (fields.has(lower)) problems.push({ severity: 'warning', message: `field "${lower}" is given twice; the last one counts` });
    fields.set(lower, fieldValue);
  }
  const arn = fields.get(arnField) ?? '';
  const rawUsername = fields.get('username') ?? '';
  const rawGroups = fields.get('groups') ?? [];
  if (typeof arn !== 'string') return dropped(`${arnField} is not a string`);
  if (arn === '') return dropped(`entry has no ${arnField}`);
  // A plain scalar go-yaml reads as a number or boolean leaves the Go string it was meant for empty:
  // the authenticator keeps the entry with "" there. Reported as an error (what it sees is not what
  // was written), with the entry as it is seen.
  const misread = (what: string, value: GoYamlValue, seen: string): string => {
    problems.push({
      severity: 'error',
      misread: true,
      message: `${what} ${value.text} is not a string to the authenticator: unquoted, it reads as ${value.describe()}, so ${arnField} ${arn} ${seen}`,
    });
    return '';
  };
  const username = rawUsername instanceof GoYamlValue ? misread('username', rawUsername, 'has an empty username') : rawUsername;
  if (typeof username !== 'string') return dropped('username is not a string');
  if (!Array.isArray(rawGroups) || !rawGroups.every((g): g is string | GoYamlValue => typeof g === 'string' || g instanceof GoYamlValue)) {
    return dropped('groups is not a list of strings');
  }
  const groups = rawGroups.map((g) => (g instanceof GoYamlValue ? misread('group', g, 'gets an empty group in its place') : g));
  const warn = (message: string): void => {
    problems.push({ severity: 'warning', message });
  };
  if (username === '' && !(rawUsername instanceof GoYamlValue)) warn(`${arnField} ${arn} has no username`);
  if (kind === 'role' && /:role\/.+\/./.test(arn)) warn(`rolearn ${arn} carries a path; the authenticator never matches it`);
  if (/^arn:[^:]*:sts:/.test(arn)) {
    warn(
      `${arnField} ${arn} is an STS ARN; the authenticator compares IAM ARNs (an assumed role as arn:<partition>:iam::<account>:role/<name>), so it never matches`,
    );
  }
  // Oddities the file's own entries can never have: unknown templates, control characters.
  const written = [['username', username, rawUsername], ...groups.map((g, i) => ['group', g, rawGroups[i]] as const)] as const;
  for (const [what, value, raw] of written) {
    // An empty value already reported as misread is not reported again.
    const reason = (value === '' && what === 'username') || raw instanceof GoYamlValue ? undefined : checkMappedName(value, what);
    if (reason !== undefined) warn(`${arnField} ${arn}: ${reason}`);
  }
  const entry = (
    kind === 'role'
      ? { kind: 'role', rolearn: arn, username, groups: [...groups] }
      : { kind: 'user', userarn: arn, username, groups: [...groups] }
  ) as MappingEntry<K>;
  return { entry, problems };
}

export /** The effective entries of a list read item by item: the authenticator uses the last entry of an ARN. */
function combineMappings<K extends MappingKind>(
  key: AwsAuthKey,
  kind: K,
  items: readonly MappingItem<K>[],
  problems: Problems,
): MappingEntry<K>[] {
  const arnField = kind === 'role' ? 'rolearn' : 'userarn';
  const byKey = new Map<string, MappingEntry<K>>();
  items.forEach((item, index) => {
    const entry = item.entry;
    for (const { misread, ...problem } of item.problems) {
      problems.push(
        misread === true && entry !== undefined ? { key, index, ...problem, misreadEntry: entryKey(entry) } : { key, index, ...problem },
      );
    }
    if (entry === undefined) return;
    const k = entryKey(entry);
    if (byKey.has(k)) {
      problems.push({
        key,
        index,
        severity: 'warning',
        message: `${arnField} ${entrySubject(entry)} is mapped more than once; the authenticator uses the last entry`,
      });
      byKey.delete(k); // keep the position of the last occurrence
    }
    byKey.set(k, entry);
  });
  return [...byKey.values()];
}

export function readMappings<K extends MappingKind>(
  key: AwsAuthKey,
  kind: K,
  value: unknown,
  problems: Problems,
): MappingEntry<K>[] | undefined {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ key, severity: 'error', message: 'expected a YAML list of mappings' });
    return undefined;
  }
  return combineMappings(
    key,
    kind,
    value.map((raw: unknown) => readMappingItem(kind, raw)),
    problems,
  );
}
