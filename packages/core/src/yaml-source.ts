/**
 * YAML files validated by a zod schema, with every problem located at file:line:col.
 * Used for the desired-state file and for other YAML inputs (simulator worlds).
 */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  visit,
  type YAMLError,
} from 'yaml';
import { z } from 'zod';
import type { ConfigIssue, SourceLocation } from './errors.js';
import { clip, describeChar, escapeInvisible } from './printable.js';
import { unclosedProblems } from './yaml-unclosed.js';

/** Files larger than this are refused before parsing, unless the caller sets another limit. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Lists and mappings nested deeper than this are refused while parsing (a desired-state file needs 6). */
export const MAX_NESTING = 64;
/** Values that aliases may add in all when the YAML becomes data (guards against alias bombs). */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Longest field path and message shown; longer text taken from the file is cut. */
const MAX_PATH_CHARS = 120;
const MAX_MESSAGE_CHARS = 300;

/**
 * How the YAML is read: YAML 1.2 core schema whatever `%YAML` says (no 1.1 timestamps, binary, sets
 * or `yes`/`no` booleans), unique keys, scalar keys only, and no warnings printed by the library.
 */
const YAML_OPTIONS = {
  version: '1.2',
  schema: 'core',
  resolveKnownTags: false,
  uniqueKeys: true,
  stringKeys: true,
  strict: true,
  prettyErrors: false,
  logLevel: 'error',
} as const;

export type YamlLoadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export interface YamlLoadOptions {
  /** What the top level must be, for the empty-file message, e.g. "a mapping with apiVersion, hub and clusters". */
  readonly expected: string;
  /** What the file is, for the size message, e.g. "a desired-state file". */
  readonly what: string;
  readonly maxBytes?: number;
}

type Locate = (offset: number) => SourceLocation;

/**
 * Parses YAML (text, or the file's bytes, which must be UTF-8) and validates it with a zod schema.
 * Never throws for bad input: every problem is returned at once, located at file:line:col, with
 * the field path, in file order. Text that is not UTF-8, control and bidirectional characters,
 * duplicate keys, collection keys, unsupported tags, several documents, undefined aliases, alias
 * bombs, deep nesting and oversized files are problems too. Text taken from the file is shown
 * with invisible characters escaped.
 */
export function loadYaml<S extends z.ZodType>(
  source: string | Uint8Array,
  file: string,
  schema: S,
  options: YamlLoadOptions,
): YamlLoadResult<z.output<S>> {
  const result = loadUnchecked(source, file, schema, options);
  return result.ok ? result : { ok: false, issues: presentable(result.issues) };
}

function loadUnchecked<S extends z.ZodType>(
  source: string | Uint8Array,
  file: string,
  schema: S,
  options: YamlLoadOptions,
): YamlLoadResult<z.output<S>> {
  const at = (line: number, column: number): SourceLocation => ({ file, line, column });
  const fail = (location: SourceLocation, message: string): YamlLoadResult<never> => ({
    ok: false,
    issues: [{ location, path: '', message }],
  });

  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  const bytes = typeof source === 'string' ? new TextEncoder().encode(source).length : source.length;
  if (bytes > maxBytes) return fail(at(1, 1), `the file is ${bytes} bytes; ${options.what} may hold at most ${maxBytes} bytes`);
  const decoded = typeof source === 'string' ? { ok: true as const, text: source } : decodeUtf8(source);
  if (!decoded.ok) return fail(at(decoded.line, decoded.column), decoded.message);
  const text = decoded.text;
  const empty = (): YamlLoadResult<never> => fail(at(1, 1), `the file is empty; expected ${options.expected}`);
  if (text.trim() === '') return empty();

  const lineCounter = new LineCounter();
  const locate: Locate = (offset) => {
    const pos = lineCounter.linePos(offset);
    return at(pos.line, pos.col);
  };
  const unreadable = unreadableChar(text);
  if (unreadable !== undefined) {
    const { line, column } = positionOf(text, unreadable.offset);
    return fail(at(line, column), unreadable.message);
  }

  const parsed = parseOne(text, lineCounter);
  if (parsed.kind === 'too-deep') {
    return fail(
      locate(parsed.offset),
      `lists and mappings are nested more than ${MAX_NESTING} levels deep here; the file is not read further`,
    );
  }
  if (parsed.kind === 'empty') return empty();
  const doc = parsed.doc;
  const keyAt = keyIndex(doc);
  const libraryProblems = [...doc.errors, ...doc.warnings];
  // An unclosed quote or bracket is reported where it opens, not where the library noticed it.
  const unclosed = unclosedProblems(text, libraryProblems);
  const yamlProblems: ConfigIssue[] = libraryProblems.map((problem) => {
    const opened = unclosed.get(problem);
    return {
      location: locate(opened?.offset ?? problem.pos[0]),
      path: '',
      message: `YAML: ${opened?.message ?? yamlMessage(problem, keyAt)}`,
    };
  });
  if (parsed.kind === 'several') {
    yamlProblems.push({
      location: locate(parsed.secondAt),
      path: '',
      message:
        'YAML: a second document starts here; the file must hold exactly one YAML document (remove the second "---" or what follows it)',
    });
  }
  if (yamlProblems.length > 0) return { ok: false, issues: yamlProblems };
  if (doc.contents === null) return empty();

  const aliasProblems = checkAliases(doc, locate);
  if (aliasProblems.length > 0) return { ok: false, issues: aliasProblems };
  let data: unknown;
  try {
    // Aliases are checked above with locations; the library's own count would refuse a list reused 100 times.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    return fail(at(1, 1), `the YAML cannot be turned into data: ${error instanceof Error ? firstLine(error.message) : 'unknown error'}`);
  }

  const validated = schema.safeParse(data);
  if (validated.success) return { ok: true, value: validated.data as z.output<S> };
  return { ok: false, issues: validated.error.issues.flatMap((issue) => toConfigIssues(issue, doc, locate, schema)) };
}

// ---------------------------------------------------------------------------------------------
// Reading the text

type Decoded =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly line: number; readonly column: number; readonly message: string };

/** UTF-8 bytes → text. A leading byte-order mark is dropped; UTF-16 and invalid bytes are located problems. */
function decodeUtf8(bytes: Uint8Array): Decoded {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      ok: false,
      line: 1,
      column: 1,
      message: 'the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8',
    };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Find the first replacement character that stands for invalid bytes, not for a U+FFFD in the file.
    const lossy = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const encoder = new TextEncoder();
    for (let i = lossy.indexOf('\ufffd'); i >= 0; i = lossy.indexOf('\ufffd', i + 1)) {
      const byteOffset = encoder.encode(lossy.slice(0, i)).length;
      if (bytes[byteOffset] === 0xef && bytes[byteOffset + 1] === 0xbf && bytes[byteOffset + 2] === 0xbd) continue;
      const { line, column } = positionOf(lossy, i);
      const byte = (bytes[byteOffset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
      return {
        ok: false,
        line,
        column,
        message: `the file is not UTF-8 text: byte 0x${byte} at byte offset ${byteOffset} is not part of a UTF-8 character; save the file as UTF-8`,
      };
    }
    return { ok: false, line: 1, column: 1, message: 'the file is not UTF-8 text; save it as UTF-8' };
  }
}

/**
 * Characters a YAML file may not hold anywhere, even in comments: control characters other than
 * tab and line breaks (YAML forbids them; often a sign of a binary file), line separators (YAML
 * does not break lines there, editors do), bidirectional controls (they make the text display
 * differently from what it says), unpaired surrogates, and a carriage return without a line feed.
 */
// eslint-disable-next-line no-control-regex
const UNREADABLE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\p{Cs}]|\r(?!\n)/u;

function unreadableChar(text: string): { readonly offset: number; readonly message: string } | undefined {
  const found = UNREADABLE.exec(text);
  if (found === null) return undefined;
  const char = found[0];
  if (char === '\r')
    return { offset: found.index, message: 'a carriage return (U+000D) without a line feed: save the file with LF or CRLF line endings' };
  const why = /[\u2028\u2029]/.test(char)
    ? 'YAML does not break lines there though editors do; use a plain line break'
    : /\p{Cc}/u.test(char)
      ? 'a YAML file holds only printable text (is this a binary file?)'
      : /\p{Cs}/u.test(char)
        ? 'it is not text'
        : 'it makes the text display in another order than it is read; remove it';
  return { offset: found.index, message: `the file contains ${describeChar(char)}, which YAML text may not hold: ${why}` };
}

/** 1-based line and column of `offset` in `text`. */
function positionOf(text: string, offset: number): { readonly line: number; readonly column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

type Parsed =
  | { readonly kind: 'one' | 'several'; readonly doc: Document.Parsed; readonly secondAt: number }
  | { readonly kind: 'too-deep'; readonly offset: number }
  | { readonly kind: 'empty' };

/**
 * Parses the first document, stopping as soon as lists and mappings nest deeper than MAX_NESTING:
 * the library builds documents recursively, so deeper input would exhaust the stack.
 */
function parseOne(text: string, lineCounter: LineCounter): Parsed {
  let tooDeepAt: number | undefined;
  function* tokens(): Generator<CST.Token> {
    const parser = new Parser(lineCounter.addNewLine);
    lineCounter.addNewLine(0);
    for (const lexeme of new Lexer().lex(text)) {
      const offset = parser.offset;
      yield* parser.next(lexeme);
      if (parser.stack.length > MAX_NESTING) {
        tooDeepAt = offset;
        return;
      }
    }
    yield* parser.end();
  }
  let first: Document.Parsed | undefined;
  let secondAt: number | undefined;
  for (const doc of new Composer(YAML_OPTIONS).compose(tokens(), true, text.length)) {
    if (first === undefined) first = doc;
    else {
      secondAt = doc.range[0];
      break;
    }
  }
  if (tooDeepAt !== undefined) return { kind: 'too-deep', offset: tooDeepAt };
  if (first === undefined) return { kind: 'empty' };
  return secondAt === undefined ? { kind: 'one', doc: first, secondAt: 0 } : { kind: 'several', doc: first, secondAt };
}

/** The library's message, in the words of this file's reader where the library's are obscure. */
function yamlMessage(problem: YAMLError, keyAt: (offset: number) => string | undefined): string {
  switch (problem.code) {
    case 'DUPLICATE_KEY': {
      const key = keyAt(problem.pos[0]);
      return `${key === undefined ? 'this key' : `the key "${key}"`} appears twice in the same mapping; each key may appear once`;
    }
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation; YAML indents with spaces only';
    case 'NON_STRING_KEY':
      return 'a key must be a plain name, not a list, a mapping or an alias (a value that starts with { or [ needs quotes, e.g. "{{SessionName}}")';
    case 'BAD_INDENT':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return `${firstLine(problem.message)} (check the indentation here, and quote a value that holds ": ")`;
    case 'MISSING_CHAR':
      return /^Missing closing .quote$/.test(firstLine(problem.message))
        ? 'a quoted string is not closed: its closing quote is missing somewhere above'
        : firstLine(problem.message);
    case 'TAG_RESOLVE_FAILED': {
      const tag = /^Unresolved tag: (.*)$/.exec(firstLine(problem.message))?.[1]?.replace(/^tag:yaml\.org,2002:/, '!!');
      return `${tag === undefined ? 'this tag' : `the tag ${tag}`} is not supported here; write a plain string, number, true/false, null, list or mapping`;
    }
    case 'RESOURCE_EXHAUSTION':
      return 'lists and mappings are nested too deeply here to be read';
    default:
      return firstLine(problem.message);
  }
}

/** Finds the scalar key that starts at or just after an offset; the index is built once, on first use. */
function keyIndex(doc: Document.Parsed): (offset: number) => string | undefined {
  let keys: { readonly start: number; readonly text: string }[] | undefined;
  return (offset) => {
    if (keys === undefined) {
      const found: { start: number; text: string }[] = [];
      visit(doc, {
        Pair: (_key, pair) => {
          const start = rangeStart(pair.key);
          if (isScalar(pair.key) && start !== undefined) found.push({ start, text: String(pair.key.value) });
        },
      });
      keys = found.sort((a, b) => a.start - b.start);
    }
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((keys[middle]?.start ?? 0) < offset) low = middle + 1;
      else high = middle;
    }
    const key = keys[low];
    return key !== undefined && key.start < offset + 1024 ? key.text : undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Aliases

/**
 * Finds aliases that name no anchor before them, aliases inside the node they name, and aliases
 * that together would add more than MAX_ALIAS_EXPANSION values (an alias bomb), without expanding
 * anything: each node's expanded size is computed once, in document order.
 */
function checkAliases(doc: Document.Parsed, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let added = 0;
  const problem = (node: Node, message: string): void => {
    issues.push({ location: locate(rangeStart(node) ?? 0), path: '', message: `YAML: ${message}` });
  };
  const sizeOf = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) {
        problem(node, `the alias *${node.source} names no anchor &${node.source} defined before it`);
        return 1;
      }
      if (open.has(target)) {
        problem(node, `the alias *${node.source} is inside the value it names, which would never end`);
        return 1;
      }
      const size = sizes.get(target) ?? 1;
      const before = added;
      added += size;
      if (before <= MAX_ALIAS_EXPANSION && added > MAX_ALIAS_EXPANSION) {
        problem(
          node,
          `with the alias *${node.source}, aliases repeat more than ${MAX_ALIAS_EXPANSION} values; write the values out or use fewer aliases (is this an alias bomb?)`,
        );
      }
      return size;
    }
    const current = node as Node;
    if (current.anchor !== undefined) {
      anchors.set(current.anchor, current);
      open.add(current);
    }
    let size = 1;
    if (isMap(node)) for (const pair of node.items) size += sizeOf(pair.key) + sizeOf(pair.value);
    else if (isSeq(node)) for (const item of node.items) size += sizeOf(item);
    open.delete(current);
    sizes.set(current, size);
    return size;
  };
  sizeOf(doc.contents);
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Schema issues

function toConfigIssues(issue: z.core.$ZodIssue, doc: Document.Parsed, locate: Locate, schema: z.ZodType): ConfigIssue[] {
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

function rangeStart(node: unknown): number | undefined {
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
function presentable(issues: readonly ConfigIssue[]): ConfigIssue[] {
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

function firstLine(message: string): string {
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
