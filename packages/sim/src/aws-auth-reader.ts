/**
 * What an EKS control plane does with an authenticated caller: map it through the cluster's live
 * aws-auth, read as the authenticator reads it, and authorise it from that mapping.
 *
 * Written independently of the hub's own aws-auth reader on purpose: the simulator is the other side
 * of the wire, and agreeing with the hub by sharing its code would prove nothing. What it shares is
 * go-yaml v2's plain-scalar resolver (core's go-yaml-resolve.ts, held to go-yaml's own tests and to
 * kubectl's decoding in the interop suite): the authenticator's YAML reader is go-yaml v2, and a
 * plain `0o17` is the integer 15 to it, whatever a YAML 1.1 library says.
 */
import { GoYamlValue, goYamlTags } from '@eks-auth-hub/core';
import { LRUCache } from 'lru-cache';
import { CST, isScalar, Lexer, parse, parseDocument, visit } from 'yaml';
import type { Identity } from './authenticator.js';
import type { Cluster } from './world-model.js';

export interface Mapping {
  readonly username: string;
  readonly groups: readonly string[];
}

type Fields = Record<string, unknown>;

/**
 * YAML text as libyaml (go-yaml v2, the authenticator's reader) takes it, or undefined when libyaml
 * refuses it where the `yaml` package would not: a leading byte-order mark is skipped, CR and CRLF
 * are line breaks, and a tab is refused where a token must start in block context (line start, after
 * "-", "?" or ":").
 */
function libyamlText(text: string): string | undefined {
  const normalised = (text.startsWith('\ufeff') ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  if (!normalised.includes('\t')) return normalised;
  let depth = 0;
  let tokenMayStart = true;
  let scalarSource = false;
  for (const token of new Lexer().lex(normalised)) {
    const kind: string = scalarSource ? 'text' : (CST.tokenType(token) ?? 'text');
    scalarSource = kind === 'scalar';
    if (kind === 'doc-mode' || kind === 'scalar' || kind === 'flow-error-end') continue;
    if (kind === 'space') {
      if (token.includes('\t') && depth === 0 && tokenMayStart) return undefined;
      continue;
    }
    if (kind === 'flow-map-start' || kind === 'flow-seq-start') depth += 1;
    if ((kind === 'flow-map-end' || kind === 'flow-seq-end') && depth > 0) depth -= 1;
    tokenMayStart = ['newline', 'seq-item-ind', 'explicit-key-ind', 'map-value-ind', 'doc-start'].includes(kind);
  }
  return normalised;
}

/**
 * What k8s.io/apimachinery's YAML-to-JSON step refuses, dropping the whole key: a NaN or infinite
 * float anywhere (JSON has none) or a null mapping key (JSON keys are strings).
 */
function jsonRefuses(value: unknown, nullKey: boolean): boolean {
  if (nullKey) return true;
  if (value instanceof GoYamlValue) return !value.jsonable;
  if (Array.isArray(value)) return value.some((v) => jsonRefuses(v, false));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => jsonRefuses(v, false));
  return false;
}

/** A value that Go's JSON decoding puts into a string field: a number or boolean leaves it empty. */
function goString(value: unknown): unknown {
  return value instanceof GoYamlValue ? '' : value;
}

/** Entries of one aws-auth key, read like the authenticator: go-yaml v2, then JSON into Go structs (fields without case, last wins). */
export function readList(text: string | undefined): Record<string, unknown>[] {
  if (text === undefined) return [];
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '``' || trimmed === '""') return [];
  const readable = libyamlText(text);
  if (readable === undefined) return []; // libyaml cannot read it: the whole key is dropped
  let value: unknown;
  try {
    const doc = parseDocument(readable, { version: '1.1', customTags: goYamlTags });
    if (doc.errors.length > 0) return [];
    let nullKey = false;
    visit(doc, {
      Pair(_key, pair) {
        if (pair.key === null || (isScalar(pair.key) && pair.key.value === null)) nullKey = true;
      },
    });
    value = doc.toJS({ maxAliasCount: 100 });
    if (jsonRefuses(value, nullKey)) return [];
  } catch {
    return []; // invalid YAML drops the whole key
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || entry instanceof GoYamlValue) return [];
    const fields: Fields = {};
    for (const [key, v] of Object.entries(entry as Fields)) {
      fields[key.toLowerCase()] = Array.isArray(v) ? v.map(goString) : goString(v);
    }
    return [fields];
  });
}

function asMapping(fields: Fields): Mapping | undefined {
  const username = fields['username'] ?? '';
  const groups = fields['groups'] ?? [];
  if (typeof username !== 'string' || !Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return undefined;
  return { username, groups: groups as string[] };
}

/** One aws-auth key's text as read: its entries, and per ARN field the mapping each ARN gets. */
class ReadList {
  private readonly byField = new Map<string, ReadonlyMap<string, Mapping>>();

  constructor(readonly entries: readonly Fields[]) {}

  /** Lower-case ARN → the mapping of the last entry for it that has a valid one. */
  mappings(arnField: string): ReadonlyMap<string, Mapping> {
    let index = this.byField.get(arnField);
    if (index === undefined) {
      const built = new Map<string, Mapping>();
      for (const fields of this.entries) {
        const entryArn = fields[arnField];
        if (typeof entryArn !== 'string') continue;
        const mapping = asMapping(fields);
        if (mapping !== undefined)
          built.set(entryArn.toLowerCase(), Object.freeze({ username: mapping.username, groups: Object.freeze([...mapping.groups]) }));
      }
      index = built;
      this.byField.set(arnField, index);
    }
    return index;
  }
}

/**
 * aws-auth as read, kept by the exact text of each key (`mapRoles`, `mapUsers`, `mapAccounts`):
 * every write to the ConfigMap that changes a key is a new text, read anew. Bounded by entries and
 * by the characters of text held (a ConfigMap holds at most 1 MiB).
 */
export class AwsAuthReader {
  private readonly lists: LRUCache<string, ReadList>;
  private readonly accountLists: LRUCache<string, ReadonlySet<string>>;
  private readCount = 0;

  constructor(options: { maxEntries?: number; maxChars?: number } = {}) {
    const max = options.maxEntries ?? 2048;
    const maxSize = options.maxChars ?? 8 * 1024 * 1024;
    const sizeCalculation = (_value: unknown, key: string): number => Math.max(1, key.length);
    this.lists = new LRUCache<string, ReadList>({ max, maxSize, sizeCalculation });
    this.accountLists = new LRUCache<string, ReadonlySet<string>>({ max, maxSize, sizeCalculation });
  }

  /** Texts read (parsed) so far: what the cache did not already hold. */
  get reads(): number {
    return this.readCount;
  }

  get size(): number {
    return this.lists.size + this.accountLists.size;
  }

  private list(text: string): ReadList {
    let list = this.lists.get(text);
    if (list === undefined) {
      this.readCount += 1;
      list = new ReadList(readList(text));
      this.lists.set(text, list);
    }
    return list;
  }

  /** The mapping the entry for `arn` (lower case) gives in the list under `arnField`, or undefined. */
  find(text: string | undefined, arnField: string, arn: string): Mapping | undefined {
    if (text === undefined) return undefined;
    return this.list(text).mappings(arnField).get(arn);
  }

  /** The accounts `mapAccounts` lists, each as text. */
  accounts(text: string): ReadonlySet<string> {
    let accounts = this.accountLists.get(text);
    if (accounts === undefined) {
      this.readCount += 1;
      let value: unknown;
      try {
        value = parse(libyamlText(text) ?? '[]', { version: '1.1', customTags: goYamlTags });
      } catch {
        value = [];
      }
      // Decoded straight into Go strings: a plain scalar keeps its text, whatever it resolves to.
      const asText = (v: unknown): string => (v instanceof GoYamlValue ? v.text : v === null ? '' : String(v));
      accounts = new Set(Array.isArray(value) ? value.map(asText) : []);
      this.accountLists.set(text, accounts);
    }
    return accounts;
  }

  clear(): void {
    this.lists.clear();
    this.accountLists.clear();
  }
}

/** The simulator's aws-auth reader. */
export const awsAuthReader = new AwsAuthReader();

/** The mapping the cluster's live aws-auth gives `identity`, or undefined when it is unmapped. */
export function mapIdentity(cluster: Cluster, identity: Identity, reader: AwsAuthReader = awsAuthReader): Mapping | undefined {
  const configMap = cluster.configMaps.get('kube-system/aws-auth');
  if (configMap === undefined) return undefined;
  const arn = identity.arn.toLowerCase();
  const role = reader.find(configMap.data['mapRoles'], 'rolearn', arn);
  if (role !== undefined) return role;
  const user = reader.find(configMap.data['mapUsers'], 'userarn', arn);
  if (user !== undefined) return user;
  if (reader.accounts(configMap.data['mapAccounts'] ?? '[]').has(identity.account)) return { username: identity.arn, groups: [] };
  return undefined;
}

export type Authorisation = { readonly status: 200 } | { readonly status: 401 | 403; readonly reason: string };

/** Whether `identity` may read and write ConfigMaps in `cluster`: creator, or `system:masters` in live aws-auth. */
export function authorise(cluster: Cluster, identity: Identity, reader: AwsAuthReader = awsAuthReader): Authorisation {
  const creator = cluster.creator === undefined ? undefined : canonicalRoleArn(cluster.creator);
  if (creator !== undefined && creator.toLowerCase() === identity.arn.toLowerCase()) return { status: 200 };
  if (cluster.authenticationMode === 'API') return { status: 401, reason: 'Unauthorized' };
  const mapping = mapIdentity(cluster, identity, reader);
  if (mapping === undefined) return { status: 401, reason: 'Unauthorized' };
  if (mapping.groups.includes('system:masters')) return { status: 200 };
  return { status: 403, reason: `${mapping.username} is not in system:masters` };
}

function canonicalRoleArn(arn: string): string {
  const match = /^arn:([^:]+):iam::([0-9]{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match === null ? arn : `arn:${match[1]}:iam::${match[2]}:role/${match[3]}`;
}
