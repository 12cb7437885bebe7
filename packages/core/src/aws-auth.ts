/**
 * The `kube-system/aws-auth` ConfigMap data: reading it the way the authenticator does, and
 * rendering it deterministically.
 *
 * The authenticator reads `mapRoles` / `mapUsers` with a YAML 1.1 parser into JSON, then into Go
 * structs (entry keys matched case-insensitively, unknown keys ignored); invalid YAML drops the whole
 * key; a key holding only white space, "``" or `""` is empty; duplicate ARNs: the last one wins,
 * compared without case. This module reads the same way but reports, instead of ignoring, everything
 * it had to skip, so the guard can refuse to write over content it does not understand.
 *
 * The authenticator's YAML reader is libyaml's (go-yaml v2). Where the `yaml` package reads text
 * differently, the text is first brought to what libyaml sees: a leading byte-order mark is skipped,
 * CR and CRLF line breaks are line breaks, and a tab where libyaml refuses one (indenting a line, or
 * right after `-`, `?` or `:` outside a flow collection) makes the key unreadable. Plain scalars are
 * resolved with go-yaml v2's own rules (go-yaml-resolve.ts), not the `yaml` package's YAML 1.1
 * schema: `0o17` is the integer 15 to the authenticator, and a Go string field given a number is
 * left empty. The renderer quotes exactly the strings those rules would not read back as themselves.
 */
import { CST, Document, isScalar, isSeq, Lexer, parseDocument, stringify, visit } from 'yaml';
import { arnKey } from './arn.js';
import { BoundedMemo } from './bounded-memo.js';
import { GoYamlValue, goYamlTags, plainReadsAsString } from './go-yaml-resolve.js';
import type { RoleMapping, UserMapping } from './model.js';
import { checkMappedName } from './templates.js';

export const AWS_AUTH_KEYS = ['mapRoles', 'mapUsers', 'mapAccounts'] as const;
export type AwsAuthKey = (typeof AWS_AUTH_KEYS)[number];

/** The most a ConfigMap's values may hold (data in UTF-8 plus binaryData decoded); the API server refuses more. */
export const MAX_CONFIGMAP_DATA_BYTES = 1024 * 1024;

/** Bytes the API server's size limit counts: data values in UTF-8 and binaryData values decoded (keys do not count). */
export function configMapDataBytes(data: Readonly<Record<string, string>>, binaryData: Readonly<Record<string, string>> = {}): number {
  const encoder = new TextEncoder();
  let size = 0;
  for (const value of Object.values(data)) size += encoder.encode(value).length;
  for (const value of Object.values(binaryData)) {
    const text = value.replace(/[\r\n]/g, '');
    size += Math.floor((text.length * 3) / 4) - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  }
  return size;
}

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

export type LiveProblemSeverity = 'error' | 'warning';

export interface LiveProblem {
  readonly key: string;
  /** Index of the entry within the key's list, when the problem concerns one entry. */
  readonly index?: number;
  readonly severity: LiveProblemSeverity;
  readonly message: string;
  /**
   * Set when the authenticator reads the entry but not as written (an unquoted `0o17` username is
   * the integer 15, which leaves its Go string empty): the entry's key. The entry is reported as the
   * authenticator sees it; a write that puts the file's own entry in its place repairs it.
   */
  readonly misreadEntry?: string;
}

export interface ParsedAwsAuth {
  /** Effective entries: what the authenticator would use, duplicates resolved (last wins). */
  readonly mapRoles: readonly Extract<Entry, { kind: 'role' }>[];
  readonly mapUsers: readonly Extract<Entry, { kind: 'user' }>[];
  readonly mapAccounts: readonly Extract<Entry, { kind: 'account' }>[];
  /** Errors: content the authenticator drops or misreads. Warnings: content it reads, oddly written. */
  readonly problems: readonly LiveProblem[];
  /** Keys whose whole content could not be read (their entries are unknown, not empty). */
  readonly unreadableKeys: readonly AwsAuthKey[];
}

export function allEntries(parsed: Pick<ParsedAwsAuth, 'mapRoles' | 'mapUsers' | 'mapAccounts'>): Entry[] {
  return [...parsed.mapRoles, ...parsed.mapUsers, ...parsed.mapAccounts];
}

function isSkippable(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '``' || trimmed === '""';
}

type Problems = LiveProblem[];

/** The text libyaml reads: a leading byte-order mark skipped, CR and CRLF line breaks as LF. Oddities are reported. */
function asLibyamlReads(key: AwsAuthKey, textValue: string, problems: Problems): string {
  let text = textValue;
  if (text.startsWith('\ufeff')) {
    text = text.slice(1);
    problems.push({ key, severity: 'warning', message: 'starts with a byte-order mark (U+FEFF); the authenticator skips it' });
  }
  if (text.includes('\r')) {
    text = text.replace(/\r\n?/g, '\n');
    problems.push({ key, severity: 'warning', message: 'has CR or CRLF line breaks; the authenticator reads them as line breaks' });
  }
  return text;
}

/** Token types after which libyaml, outside flow collections, still expects a token to start: no tab allowed there. */
const NO_TAB_AFTER = new Set(['newline', 'seq-item-ind', 'explicit-key-ind', 'map-value-ind', 'doc-start']);

/**
 * Where libyaml refuses a tab ("found character that cannot start any token"): outside flow
 * collections, at the start of a line or right after `-`, `?` or `:`. The `yaml` package accepts a
 * tab after `:`; libyaml drops the whole key. Returns the 1-based line and column, or undefined.
 */
export function refusedTab(text: string): { readonly line: number; readonly column: number } | undefined {
  if (!text.includes('\t')) return undefined;
  let flow = 0;
  let previous = 'newline';
  let scalarNext = false;
  let offset = 0;
  for (const source of new Lexer().lex(text)) {
    // The lexer marks a document and each scalar with a control character that is not in the text.
    const type: string = scalarNext ? 'scalar-source' : (CST.tokenType(source) ?? 'scalar-source');
    scalarNext = type === 'scalar';
    if (type === 'doc-mode' || type === 'scalar' || type === 'flow-error-end') continue;
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow += 1;
    else if ((type === 'flow-map-end' || type === 'flow-seq-end') && flow > 0) flow -= 1;
    const tab = source.indexOf('\t');
    if (type === 'space' && tab >= 0 && flow === 0 && NO_TAB_AFTER.has(previous)) {
      const before = text.slice(0, offset + tab);
      const lineStart = before.lastIndexOf('\n') + 1;
      return { line: before.split('\n').length, column: offset + tab - lineStart + 1 };
    }
    if (type !== 'space') previous = type;
    offset += source.length;
  }
  return undefined;
}

/**
 * What stops sigs.k8s.io/yaml's YAML-to-JSON conversion (mapRoles and mapUsers go through it; the
 * authenticator then drops the whole key): a NaN or infinite float anywhere (JSON has none), or a
 * null mapping key (JSON keys are strings).
 */
function jsonConversionProblem(doc: Document.Parsed, value: unknown): string | undefined {
  let found: string | undefined;
  const walk = (v: unknown, depth: number): void => {
    if (found !== undefined || depth > 64) return;
    if (v instanceof GoYamlValue) {
      if (!v.jsonable) found = `${v.text} is ${v.describe()}, which its conversion to JSON refuses`;
    } else if (Array.isArray(v)) for (const item of v) walk(item, depth + 1);
    else if (typeof v === 'object' && v !== null) for (const item of Object.values(v)) walk(item, depth + 1);
  };
  walk(value, 0);
  if (found !== undefined) return found;
  visit(doc, {
    Pair(_key, pair) {
      if (pair.key === null || (isScalar(pair.key) && pair.key.value === null)) {
        found = 'a mapping key is null, which its conversion to JSON refuses';
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Parses one YAML value the way the authenticator's reader (go-yaml v2) would, or reports why not. */
function readYaml(key: AwsAuthKey, textValue: string, problems: Problems): { ok: true; value: unknown; source: unknown } | { ok: false } {
  const tab = refusedTab(textValue);
  if (tab !== undefined) {
    problems.push({
      key,
      severity: 'error',
      message: `invalid YAML for the authenticator: a tab at line ${tab.line}, column ${tab.column}; its YAML reader (libyaml) refuses tabs that indent a line or follow "-", "?" or ":"`,
    });
    return { ok: false };
  }
  let doc;
  try {
    doc = parseDocument(textValue, { version: '1.1', uniqueKeys: true, prettyErrors: false, customTags: goYamlTags });
  } catch (error) {
    problems.push({
      key,
      severity: 'error',
      message: `invalid YAML: ${error instanceof Error ? error.message.split('\n')[0] : 'unreadable'}`,
    });
    return { ok: false };
  }
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    problems.push({ key, severity: 'error', message: `invalid YAML: ${first?.message.split('\n')[0] ?? 'unreadable'}` });
    return { ok: false };
  }
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // mapAccounts is decoded straight into Go strings, without the JSON step.
    const refused = key === 'mapAccounts' ? undefined : jsonConversionProblem(doc, value);
    if (refused !== undefined) {
      problems.push({ key, severity: 'error', message: `invalid for the authenticator: ${refused}` });
      return { ok: false };
    }
    return { ok: true, value, source: doc.contents };
  } catch (error) {
    problems.push({
      key,
      severity: 'error',
      message: `invalid YAML: ${error instanceof Error ? error.message.split('\n')[0] : 'unreadable'}`,
    });
    return { ok: false };
  }
}

const ENTRY_FIELDS: Readonly<Record<'role' | 'user', readonly string[]>> = {
  role: ['rolearn', 'username', 'groups'],
  user: ['userarn', 'username', 'groups'],
};

type MappingKind = 'role' | 'user';
type MappingEntry<K extends MappingKind> = Extract<Entry, { kind: K }>;

interface ItemProblem {
  readonly severity: LiveProblemSeverity;
  readonly message: string;
  /** The entry is read, not as written (see LiveProblem.misreadEntry). */
  readonly misread?: true;
}

/** One list item read on its own: the entry it makes (none when the authenticator drops it) and what was odd about it. */
interface MappingItem<K extends MappingKind> {
  readonly entry: MappingEntry<K> | undefined;
  readonly problems: readonly ItemProblem[];
}

function readMappingItem<K extends MappingKind>(kind: K, raw: unknown): MappingItem<K> {
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

/** The effective entries of a list read item by item: the authenticator uses the last entry of an ARN. */
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

function readMappings<K extends MappingKind>(key: AwsAuthKey, kind: K, value: unknown, problems: Problems): MappingEntry<K>[] | undefined {
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

/**
 * The top-level items of a block sequence, when each is closed in itself: the text starts with "- ",
 * every line that does not start an item ("- " at column 0) is indented, and there are no blank
 * lines, tabs or other column-0 content (comments, document markers, directives). Such an item can
 * neither continue into the next nor be changed by it except through an alias, and an alias to an
 * anchor in another item does not read on its own: so reading the list reads each item as it reads
 * alone. Undefined for any other text.
 */
export function closedListItems(text: string): string[] | undefined {
  if (!text.startsWith('- ') || text.includes('\t')) return undefined;
  const items: string[] = [];
  let start = 0;
  let line = 0;
  while (line < text.length) {
    const newline = text.indexOf('\n', line);
    const next = newline === -1 ? text.length : newline + 1;
    if (line > start && text.startsWith('- ', line)) {
      items.push(text.slice(start, line));
      start = line;
    } else if (line > start && text.charCodeAt(line) !== 0x20) {
      return undefined;
    }
    line = next;
  }
  items.push(text.slice(start));
  return items;
}

/**
 * An IAM ARN that YAML reads and the `yaml` package writes as itself, whatever its account and name:
 * IAM's own characters for names, no path, no space, no "#", never ": ". Such an ARN, in the first
 * line of an item, is inert text: any other such ARN in its place reads and renders the same way.
 * So an item is remembered with a stand-in for it, and one Identity Center role's entry, rendered and
 * read once, serves every account (their role names differ in the account and the suffix only).
 */
const SIMPLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::[0-9]{12}:(?:role|user)\/[A-Za-z0-9_+=,.@-]{1,128}$/;
const STAND_IN: Readonly<Record<MappingKind, string>> = {
  role: 'arn:aws:iam::000000000000:role/eks-auth-hub-stand-in',
  user: 'arn:aws:iam::000000000000:user/eks-auth-hub-stand-in',
};
const ITEM_HEAD: Readonly<Record<MappingKind, string>> = { role: '- rolearn: ', user: '- userarn: ' };

/** An item's text as its simple ARN and the text with the stand-in in its place; undefined for any other item. */
function withStandIn(kind: MappingKind, item: string): { readonly arn: string; readonly text: string } | undefined {
  const head = ITEM_HEAD[kind];
  if (!item.startsWith(head)) return undefined;
  const newline = item.indexOf('\n', head.length);
  const end = newline === -1 ? item.length : newline;
  const arn = item.slice(head.length, end);
  const rest = item.slice(end);
  if (!SIMPLE_ARN.test(arn) || rest.includes(STAND_IN[kind])) return undefined;
  return { arn, text: `${head}${STAND_IN[kind]}${rest}` };
}

/** Items read alone, by kind and text (a simple ARN replaced by the stand-in). */
const itemMemo = new BoundedMemo<MappingItem<MappingKind> | null>(20_000);

function readItemAlone(key: AwsAuthKey, kind: MappingKind, item: string): MappingItem<MappingKind> | null {
  return itemMemo.get(`${kind}\n${item}`, () => {
    const problems: Problems = [];
    const parsed = readYaml(key, item, problems);
    if (!parsed.ok || problems.length > 0 || !Array.isArray(parsed.value) || parsed.value.length !== 1) return null;
    return readMappingItem<MappingKind>(kind, parsed.value[0]);
  });
}

/** One closed item read alone as a one-item list; null when it does not read cleanly that way (the whole text is then read at once). */
function readClosedItem<K extends MappingKind>(key: AwsAuthKey, kind: K, item: string): MappingItem<K> | null {
  const standIn = withStandIn(kind, item);
  if (standIn === undefined) return readItemAlone(key, kind, item) as MappingItem<K> | null;
  const read = readItemAlone(key, kind, standIn.text);
  if (read === null) return null;
  // The stand-in appears nowhere but where the ARN was: put the ARN back there.
  const back = (text: string): string => text.split(STAND_IN[kind]).join(standIn.arn);
  const entry =
    read.entry === undefined
      ? undefined
      : read.entry.kind === 'role'
        ? { ...read.entry, rolearn: back(read.entry.rolearn) }
        : { ...read.entry, userarn: back(read.entry.userarn) };
  return { entry, problems: read.problems.map((p) => ({ ...p, message: back(p.message) })) } as MappingItem<K>;
}

/**
 * A mapping list read item by item (each item's reading remembered), or undefined when the text is
 * not a list of closed items that each read cleanly; the caller then reads the text as a whole.
 * Both ways give the same entries and problems (a property test holds them to it).
 */
function readMappingsByItem<K extends MappingKind>(
  key: AwsAuthKey,
  kind: K,
  text: string,
  problems: Problems,
): MappingEntry<K>[] | undefined {
  const texts = closedListItems(text);
  if (texts === undefined) return undefined;
  const items: MappingItem<K>[] = [];
  for (const item of texts) {
    const read = readClosedItem(key, kind, item);
    if (read === null) return undefined;
    items.push(read);
  }
  return combineMappings(key, kind, items, problems);
}

function readAccounts(
  key: AwsAuthKey,
  value: unknown,
  source: unknown,
  problems: Problems,
): Extract<Entry, { kind: 'account' }>[] | undefined {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || !isSeq(source)) {
    problems.push({ key, severity: 'error', message: 'expected a YAML list of account IDs' });
    return undefined;
  }
  const seen = new Set<string>();
  const out: Extract<Entry, { kind: 'account' }>[] = [];
  source.items.forEach((item, index) => {
    // The source text, not the number: an unquoted account ID with a leading zero must not lose it.
    const account = isScalar(item) ? (typeof item.value === 'string' ? item.value : (item.source ?? String(item.value))) : undefined;
    if (account === undefined || !/^[0-9]{12}$/.test(account)) {
      problems.push({ key, index, severity: 'error', message: 'entry is not a 12-digit account ID' });
      return;
    }
    if (isScalar(item) && typeof item.value !== 'string') {
      problems.push({ key, index, severity: 'warning', message: `account ${account} is not quoted` });
    }
    if (seen.has(account)) return;
    seen.add(account);
    out.push({ kind: 'account', account });
  });
  return out;
}

export interface ParseAwsAuthOptions {
  /**
   * Read a list of closed items item by item, each item's reading remembered (default true). False
   * reads every key as one document: the reference the item-by-item reading is tested against.
   */
  readonly byItem?: boolean;
}

/** Reads aws-auth data as the authenticator does, reporting what it would skip or misread. */
export function parseAwsAuth(data: Readonly<Record<string, string>>, options: ParseAwsAuthOptions = {}): ParsedAwsAuth {
  const byItem = options.byItem ?? true;
  const problems: Problems = [];
  const unreadableKeys: AwsAuthKey[] = [];
  const read = <T>(
    key: AwsAuthKey,
    convert: (value: unknown, source: unknown) => T[] | undefined,
    readByItem?: (text: string) => T[] | undefined,
  ): T[] => {
    // Top-level keys are case-sensitive for the authenticator: `maproles` is simply not read.
    const raw = data[key];
    if (raw === undefined || isSkippable(raw)) return [];
    const text = asLibyamlReads(key, raw, problems);
    const fast = byItem ? readByItem?.(text) : undefined;
    if (fast !== undefined) return fast;
    const parsed = readYaml(key, text, problems);
    const converted = parsed.ok ? convert(parsed.value, parsed.source) : undefined;
    if (converted === undefined) {
      unreadableKeys.push(key);
      return [];
    }
    return converted;
  };
  for (const name of Object.keys(data)) {
    const lower = name.toLowerCase();
    const match = AWS_AUTH_KEYS.find((k) => k.toLowerCase() === lower);
    if (match !== undefined && match !== name) {
      problems.push({ key: name, severity: 'error', message: `key "${name}" is not read by the authenticator; it expects "${match}"` });
    }
  }
  const mapRoles = read(
    'mapRoles',
    (v) => readMappings('mapRoles', 'role', v, problems),
    (text) => readMappingsByItem('mapRoles', 'role', text, problems),
  );
  const mapUsers = read(
    'mapUsers',
    (v) => readMappings('mapUsers', 'user', v, problems),
    (text) => readMappingsByItem('mapUsers', 'user', text, problems),
  );
  const mapAccounts = read('mapAccounts', (v, s) => readAccounts('mapAccounts', v, s, problems));
  return { mapRoles, mapUsers, mapAccounts, problems, unreadableKeys };
}

const RENDER_OPTIONS = { version: '1.1', lineWidth: 0, minContentWidth: 0, indentSeq: true, aliasDuplicateObjects: false } as const;

/** The strings of a list of entries (or of account IDs), keys aside. */
function valuesOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(valuesOf);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(valuesOf);
  return [];
}

/**
 * Renders a list, double-quoting every string that go-yaml v2 would not read back as that string
 * when plain (`0o17`, `0X1F`, `+0O7`, `09`…). The `yaml` package already quotes what its YAML 1.1
 * schema reads as another type, with double quotes; only the strings it would leave plain change,
 * so what the hub rendered correctly before renders to the same bytes. Exported as the reference
 * that rendering item by item is tested against.
 */
export function renderList(value: unknown[]): string {
  // Entries are fresh objects, never shared: no anchors to look for (a quarter of the cost).
  if (valuesOf(value).every(plainReadsAsString)) return stringify(value, RENDER_OPTIONS);
  const doc = new Document(value, RENDER_OPTIONS);
  visit(doc, {
    Scalar(key, node) {
      if (key !== 'key' && typeof node.value === 'string' && !plainReadsAsString(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(RENDER_OPTIONS);
}

/** Rendered list items by content: a block sequence renders item by item, so a list is its items' texts joined. */
const renderMemo = new BoundedMemo<string>(20_000);

function renderItem(item: RoleMapping | UserMapping): string {
  return renderMemo.get(JSON.stringify(item), () => renderList([item]));
}

/** An item rendered with its simple ARN (see SIMPLE_ARN) as the stand-in, then the ARN put in its place. */
function renderMappingList(items: readonly (RoleMapping | UserMapping)[]): string {
  let out = '';
  for (const item of items) {
    const kind: MappingKind = 'rolearn' in item ? 'role' : 'user';
    const arn = 'rolearn' in item ? item.rolearn : item.userarn;
    const standIn = STAND_IN[kind];
    // Only the first line is replaced, so the stand-in elsewhere in the item changes nothing.
    const template = SIMPLE_ARN.test(arn)
      ? renderItem('rolearn' in item ? { ...item, rolearn: standIn } : { ...item, userarn: standIn })
      : undefined;
    const head = `${ITEM_HEAD[kind]}${standIn}\n`;
    out += template?.startsWith(head) === true ? `${ITEM_HEAD[kind]}${arn}${template.slice(head.length - 1)}` : renderItem(item);
  }
  return out;
}

/**
 * Renders entries into aws-auth data keys. Deterministic: the same entries give the same bytes.
 * Keys without entries are left out (the authenticator reads a missing key as empty).
 */
export function renderAwsAuth(entries: readonly Entry[]): Partial<Record<AwsAuthKey, string>> {
  const roles: RoleMapping[] = [];
  const users: UserMapping[] = [];
  const accounts: string[] = [];
  for (const entry of entries) {
    if (entry.kind === 'role') roles.push({ rolearn: entry.rolearn, username: entry.username, groups: [...entry.groups] });
    else if (entry.kind === 'user') users.push({ userarn: entry.userarn, username: entry.username, groups: [...entry.groups] });
    else accounts.push(entry.account);
  }
  const out: Partial<Record<AwsAuthKey, string>> = {};
  if (roles.length > 0) out.mapRoles = renderMappingList(roles);
  if (users.length > 0) out.mapUsers = renderMappingList(users);
  if (accounts.length > 0) out.mapAccounts = renderList(accounts);
  return out;
}
