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
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  visit,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { firstLine, type Locate, presentable, rangeStart, toConfigIssues } from './config-issues.js';
import type { ConfigIssue, SourceLocation } from './errors.js';
import { decodeUtf8, positionOf, unreadableChar } from './yaml-text.js';
import { unclosedProblems } from './yaml-unclosed.js';

/** Files larger than this are refused before parsing, unless the caller sets another limit. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Lists and mappings nested deeper than this are refused while parsing (a desired-state file needs 6). */
export const MAX_NESTING = 64;
/** Values that aliases may add in all when the YAML becomes data (guards against alias bombs). */
export const MAX_ALIAS_EXPANSION = 100_000;

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
// Parsing

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
