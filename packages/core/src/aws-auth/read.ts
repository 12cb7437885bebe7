/**
 * Reading the `kube-system/aws-auth` ConfigMap data the way the authenticator does.
 *
 * The authenticator reads `mapRoles` / `mapUsers` with a YAML 1.1 parser into JSON, then into Go
 * structs (entry keys matched case-insensitively, unknown keys ignored); invalid YAML drops the whole
 * key; a key holding only white space, "``" or `""` is empty; duplicate ARNs: the last one wins,
 * compared without case. This module reads the same way but reports, instead of ignoring, everything
 * it had to skip, so the guard can refuse to write over content it does not understand.
 *
 * How a key's text is read is in read-yaml.ts; a list item, in read-mapping.ts; the fast path that
 * reads a list item by item, in read-by-item.ts.
 */
import { isScalar, isSeq } from 'yaml';
import { AWS_AUTH_KEYS, type AwsAuthKey } from './config-map.js';
import type { Entry } from './entry.js';
import type { LiveProblem } from './live-problem.js';
import { readMappingsByItem } from './read-by-item.js';
import { readMappings } from './read-mapping.js';
import { asLibyamlReads, readYaml } from './read-yaml.js';

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

function isSkippable(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '``' || trimmed === '""';
}

type Problems = LiveProblem[];

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
