/**
 * One aws-auth key's text read as the authenticator's YAML reader reads it, or the reason it does not.
 *
 * The authenticator's YAML reader is libyaml's (go-yaml v2). Where the `yaml` package reads text
 * differently, the text is first brought to what libyaml sees: a leading byte-order mark is skipped,
 * CR and CRLF line breaks are line breaks, and a tab where libyaml refuses one (indenting a line, or
 * right after `-`, `?` or `:` outside a flow collection) makes the key unreadable. Plain scalars are
 * resolved with go-yaml v2's own rules (go-yaml-resolve.ts), not the `yaml` package's YAML 1.1
 * schema: `0o17` is the integer 15 to the authenticator, and a Go string field given a number is left empty.
 */
import { CST, type Document, isScalar, Lexer, parseDocument, visit } from 'yaml';
import { GoYamlValue, goYamlTags } from '../go-yaml-resolve.js';
import type { AwsAuthKey } from './config-map.js';
import type { LiveProblem } from './live-problem.js';

type Problems = LiveProblem[];

/** The text libyaml reads: a leading byte-order mark skipped, CR and CRLF line breaks as LF. Oddities are reported. */
export function asLibyamlReads(key: AwsAuthKey, textValue: string, problems: Problems): string {
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

export function readYaml(
  key: AwsAuthKey,
  textValue: string,
  problems: Problems,
): { ok: true; value: unknown; source: unknown } | { ok: false } {
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
