/**
 * Loading the desired-state file: YAML text → validated `DesiredState`, or every problem at once,
 * each located at `file:line:col` with its field path and the allowed form.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ACCOUNT_PLACEHOLDER, partitionOfRegion } from './arn.js';
import { ConfigError, type ConfigIssue, type SourceLocation } from './errors.js';
import { hashOf } from './hash.js';
import { parseDuration } from './duration.js';
import type { ClusterSpec, DesiredRoleMapping, DesiredState, UserMapping } from './model.js';
import { allowedKeys, formatPath, hubFileSchema, type HubFile } from './schema.js';

/** Files larger than this are refused before parsing. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Alias expansions allowed when the YAML is turned into data (guards against alias bombs). */
const MAX_ALIAS_COUNT = 100;

export type LoadResult =
  | { readonly ok: true; readonly state: DesiredState }
  | { readonly ok: false; readonly error: ConfigError };

/** Parses and validates a desired-state file. Never throws for bad input. */
export function loadDesiredState(textValue: string, file: string): LoadResult {
  const issues = collectIssues(textValue, file);
  if ('issues' in issues) return { ok: false, error: new ConfigError(file, issues.issues) };
  return { ok: true, state: toDesiredState(issues.value, file) };
}

/** Like `loadDesiredState`, throwing the `ConfigError`. */
export function parseDesiredState(textValue: string, file: string): DesiredState {
  const result = loadDesiredState(textValue, file);
  if (!result.ok) throw result.error;
  return result.state;
}

type Collected = { readonly value: HubFile } | { readonly issues: readonly ConfigIssue[] };

function collectIssues(textValue: string, file: string): Collected {
  const at = (line: number, column: number): SourceLocation => ({ file, line, column });
  const bytes = new TextEncoder().encode(textValue).length;
  if (bytes > MAX_FILE_BYTES) {
    return {
      issues: [{ location: at(1, 1), path: '', message: `the file is ${bytes} bytes; a desired-state file may hold at most ${MAX_FILE_BYTES} bytes` }],
    };
  }
  if (textValue.trim() === '') {
    return { issues: [{ location: at(1, 1), path: '', message: 'the file is empty; expected a mapping with apiVersion, hub and clusters' }] };
  }

  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(textValue, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  } catch (error) {
    return { issues: [{ location: at(1, 1), path: '', message: `the YAML cannot be read: ${describe(error)}` }] };
  }
  const locate = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return at(pos.line, pos.col);
  };

  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    return {
      issues: sortIssues(
        yamlProblems.map((problem) => ({
          location: locate(problem.pos[0]),
          path: '',
          message: `YAML: ${firstLine(problem.message)}`,
        })),
      ),
    };
  }

  if (doc.contents === null) {
    return { issues: [{ location: at(1, 1), path: '', message: 'the file is empty; expected a mapping with apiVersion, hub and clusters' }] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return { issues: [{ location: at(1, 1), path: '', message: `the YAML cannot be turned into data: ${describe(error)}` }] };
  }

  const parsed = hubFileSchema.safeParse(data);
  if (parsed.success) return { value: parsed.data };
  return { issues: sortIssues(parsed.error.issues.flatMap((issue) => toConfigIssues(issue, doc, locate))) };
}

function toConfigIssues(issue: z.core.$ZodIssue, doc: Document.Parsed, locate: (offset: number) => SourceLocation): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const allowed = allowedKeys(issue.path).filter((k) => !issue.keys.includes(k));
      const hint = suggestion(key, allowed);
      return {
        location: locate(keyOffset(doc, issue.path, key) ?? nodeOffset(doc, issue.path)),
        path: formatPath(path),
        message: `unknown key "${key}"${hint}${allowed.length > 0 ? `; allowed keys here: ${allowed.join(', ')}` : ''}`,
      };
    });
  }
  return [{ location: locate(nodeOffset(doc, issue.path)), path: formatPath(issue.path), message: issue.message }];
}

/** Offset of the deepest node that exists along `path` (the node itself when it exists). */
function nodeOffset(doc: Document.Parsed, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    const next = child(node, segment);
    if (next === undefined) break;
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  return offset;
}

function keyOffset(doc: Document.Parsed, path: readonly PropertyKey[], key: string): number | undefined {
  let node: unknown = doc.contents;
  for (const segment of path) {
    node = child(node, segment);
    if (node === undefined) return undefined;
  }
  if (!isMap(node)) return undefined;
  const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  return pair === undefined ? undefined : rangeStart(pair.key);
}

function child(node: unknown, segment: PropertyKey): unknown {
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
    return pair?.value ?? undefined;
  }
  if (isSeq(node) && typeof segment === 'number') return node.items[segment];
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range === undefined || range === null ? undefined : range[0];
}

/** ` (did you mean "X"?)` for a key one or two edits away from an allowed one. */
function suggestion(key: string, allowed: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 3;
}

function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort(
    (a, b) => a.location.line - b.location.line || a.location.column - b.location.column || a.path.localeCompare(b.path),
  );
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

function describe(error: unknown): string {
  if (error instanceof RangeError) return 'it is nested too deeply';
  return error instanceof Error ? firstLine(error.message) : 'unknown error';
}

// ---------------------------------------------------------------------------------------------

function toDesiredState(file: HubFile, fileName: string): DesiredState {
  const defaults = file.defaults ?? {};
  const clusters = file.clusters.map((cluster): ClusterSpec => {
    const inherit = cluster.inheritDefaults;
    const substitute = (arn: string): string => arn.replace(`::${ACCOUNT_PLACEHOLDER}:`, `::${cluster.account}:`);
    const mapRoles: DesiredRoleMapping[] = [...(inherit ? (defaults.mapRoles ?? []) : []), ...(cluster.mapRoles ?? [])].map(
      (entry): DesiredRoleMapping => {
        const groups = entry.groups ?? [];
        return entry.rolearn !== undefined
          ? { kind: 'rolearn', rolearn: substitute(entry.rolearn), username: entry.username, groups }
          : { kind: 'permissionset', permissionSet: entry.permissionset ?? '', username: entry.username, groups };
      },
    );
    const mapUsers: UserMapping[] = [...(inherit ? (defaults.mapUsers ?? []) : []), ...(cluster.mapUsers ?? [])].map((entry) => ({
      userarn: substitute(entry.userarn),
      username: entry.username,
      groups: entry.groups ?? [],
    }));
    const mapAccounts = [...(inherit ? (defaults.mapAccounts ?? []) : []), ...(cluster.mapAccounts ?? [])];
    const nodeRoles = (cluster.nodeRoles ?? []).map(substitute);
    const content = { ownership: cluster.ownership, nodeRoles, mapRoles, mapUsers, mapAccounts };
    return {
      id: `${cluster.account}/${cluster.region}/${cluster.name}`,
      name: cluster.name,
      account: cluster.account,
      region: cluster.region,
      partition: partitionOfRegion(cluster.region),
      ...content,
      desiredHash: hashOf(content),
    };
  });
  const hub = file.hub;
  return {
    file: fileName,
    hub: {
      roleName: hub.roleName,
      ...(hub.externalId === undefined ? {} : { externalId: hub.externalId }),
      sessionName: hub.sessionName,
      interval: hub.interval,
      intervalMs: parseDuration(hub.interval) ?? 600_000,
      concurrency: hub.concurrency,
      accountConcurrency: hub.accountConcurrency,
      guard: { maxRemovalRatio: hub.guard.maxRemovalRatio },
    },
    clusters,
    hash: hashOf({ hub: file.hub, clusters: clusters.map((c) => [c.id, c.desiredHash]) }),
  };
}
