/**
 * Problems found in a YAML file, as a reader sees them: a schema issue located at the node (or key) it is
 * about, with the field path and a "did you mean" hint; invisible characters escaped, repeats dropped.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import type { ConfigIssue, SourceLocation } from './errors.js';
import { clip, escapeInvisible } from './printable.js';

/** Longest field path and message shown; longer text taken from the file is cut. */
const MAX_PATH_CHARS = 120;
const MAX_MESSAGE_CHARS = 300;

export type Locate = (offset: number) => SourceLocation;

export function toConfigIssues(issue: z.core.$ZodIssue, doc: Document.Parsed, locate: Locate, schema: z.ZodType): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const allowed = allowedKeys(schema, issue.path).filter((k) => !issue.keys.includes(k));
      const hint = suggestion(key, allowed);
      return {
        location: locate(keyOffset(doc, issue.path, key) ?? nodeOffset(doc, issue.path)),
        path: formatPath(path),
        message: `unknown key "${clip(key, 60)}"${hint}${allowed.length > 0 ? `; allowed keys here: ${allowed.join(', ')}` : ''}`,
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

export function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range === undefined || range === null ? undefined : range[0];
}

/** ` (did you mean "X"?)` for a word one or two edits away from an allowed one. */
export function suggestion(key: string, allowed: readonly string[]): string {
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

/**
 * Issues as shown to a reader: invisible characters escaped, text from the file cut to a readable
 * length, repeats dropped, in file order.
 */
export function presentable(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const shown = {
      location: issue.location,
      path: clip(escapeInvisible(issue.path), MAX_PATH_CHARS),
      message: clip(escapeInvisible(issue.message), MAX_MESSAGE_CHARS),
    };
    const key = `${shown.location.line}:${shown.location.column}:${shown.path}:${shown.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(shown);
  }
  return out.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column || a.path.localeCompare(b.path));
}

export function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

/** `['clusters', 0, 'mapRoles', 2]` → `clusters[0].mapRoles[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** The keys the strict mapping at `path` accepts (for "did you mean" hints), read from the schema. */
export function allowedKeys(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = root;
  for (const segment of path) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodArray && typeof segment === 'number') schema = inner.element as z.ZodType;
    else if (inner instanceof z.ZodObject && typeof segment === 'string' && segment in inner.shape) {
      schema = inner.shape[segment] as z.ZodType;
    } else return [];
  }
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
  return current;
}
