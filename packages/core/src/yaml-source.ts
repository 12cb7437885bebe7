/**
 * YAML files validated by a zod schema, with every problem located at file:line:col.
 * Used for the desired-state file and for other YAML inputs (simulator worlds).
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import type { ConfigIssue, SourceLocation } from './errors.js';

/** Files larger than this are refused before parsing, unless the caller sets another limit. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Alias expansions allowed when the YAML is turned into data (guards against alias bombs). */
const MAX_ALIAS_COUNT = 100;

export type YamlLoadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export interface YamlLoadOptions {
  /** What the top level must be, for the empty-file message, e.g. "a mapping with apiVersion, hub and clusters". */
  readonly expected: string;
  /** What the file is, for the size message, e.g. "a desired-state file". */
  readonly what: string;
  readonly maxBytes?: number;
}

/**
 * Parses YAML text and validates it with a zod schema. Never throws for bad input: every problem is
 * returned at once, located at file:line:col, with the field path, in file order. Duplicate keys,
 * unknown tags, several documents, alias bombs, deep nesting and oversized files are problems too.
 */
export function loadYaml<S extends z.ZodType>(textValue: string, file: string, schema: S, options: YamlLoadOptions): YamlLoadResult<z.output<S>> {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  const at = (line: number, column: number): SourceLocation => ({ file, line, column });
  const bytes = new TextEncoder().encode(textValue).length;
  if (bytes > maxBytes) {
    return {
      ok: false,
      issues: [{ location: at(1, 1), path: '', message: `the file is ${bytes} bytes; ${options.what} may hold at most ${maxBytes} bytes` }],
    };
  }
  const empty = (): YamlLoadResult<never> => ({ ok: false, issues: [{ location: at(1, 1), path: '', message: `the file is empty; expected ${options.expected}` }] });
  if (textValue.trim() === '') return empty();

  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(textValue, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  } catch (error) {
    return { ok: false, issues: [{ location: at(1, 1), path: '', message: `the YAML cannot be read: ${describe(error)}` }] };
  }
  const locate = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return at(pos.line, pos.col);
  };

  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    return {
      ok: false,
      issues: sortIssues(
        yamlProblems.map((problem) => ({
          location: locate(problem.pos[0]),
          path: '',
          message: `YAML: ${firstLine(problem.message)}`,
        })),
      ),
    };
  }

  if (doc.contents === null) return empty();
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return { ok: false, issues: [{ location: at(1, 1), path: '', message: `the YAML cannot be turned into data: ${describe(error)}` }] };
  }

  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data as z.output<S> };
  return { ok: false, issues: sortIssues(parsed.error.issues.flatMap((issue) => toConfigIssues(issue, doc, locate, schema))) };
}

function toConfigIssues(issue: z.core.$ZodIssue, doc: Document.Parsed, locate: (offset: number) => SourceLocation, schema: z.ZodType): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const allowed = allowedKeys(schema, issue.path).filter((k) => !issue.keys.includes(k));
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

