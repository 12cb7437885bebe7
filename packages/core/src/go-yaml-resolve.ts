/**
 * How go-yaml v2 resolves a plain (unquoted, untagged) scalar: the rules the authenticator reads
 * `mapRoles` and `mapUsers` with (k8s.io/apimachinery `util/yaml.ToJSON` → sigs.k8s.io/yaml →
 * gopkg.in/yaml.v2). Written from go-yaml v2's `resolve.go` and Go's `strconv` rules, not from a
 * YAML 1.1 library: the `yaml` package's YAML 1.1 schema reads `0o17`, `0X1F` or `09` as strings
 * where go-yaml reads numbers, and a renderer checked against that schema cannot see the difference.
 *
 * The rules, in go-yaml's order:
 * - Only a first character that is a sign, a digit, `.` or one of `yYnNtTfFoO~` (or the empty
 *   scalar) can make anything but a string.
 * - Exact spellings: booleans `y Y yes Yes YES true True TRUE on On ON` and their false
 *   counterparts `n N no No NO false False FALSE off Off OFF`; null `"" ~ null Null NULL`;
 *   `.nan .NaN .NAN`, `[+-].inf .Inf .INF`.
 * - A first character `.`: Go's `ParseFloat` of the text as it is.
 * - A sign or digit: a timestamp (`YYYY-M-D`, with an optional time); else, with every `_`
 *   removed, `ParseInt(s, 0, 64)` (prefixes `0b 0o 0x` in either case, a leading `0` octal, a sign),
 *   `ParseUint(s, 0, 64)`, then a float of the form `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
 *   that `ParseFloat` reads without overflowing.
 * - Anything else is a string. `<<` too: go-yaml treats a plain `<<` as a merge only as a mapping key.
 *
 * Decoded into an `interface{}` (what ToJSON does), a timestamp stays the string it was written as.
 */
import type { ScalarTag } from 'yaml';

export type GoYamlTag = '!!str' | '!!null' | '!!bool' | '!!int' | '!!float' | '!!timestamp';

export type GoYamlScalar =
  | { readonly tag: '!!str' }
  | { readonly tag: '!!null' }
  | { readonly tag: '!!bool'; readonly value: boolean }
  /** Go's int (int64) or, above its range, uint64. */
  | { readonly tag: '!!int'; readonly value: bigint }
  | { readonly tag: '!!float'; readonly value: number }
  /** A timestamp: decoded into `interface{}` it is the text itself. */
  | { readonly tag: '!!timestamp' };

const EXACT = new Map<string, GoYamlScalar>();
for (const text of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])
  EXACT.set(text, { tag: '!!bool', value: true });
for (const text of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  EXACT.set(text, { tag: '!!bool', value: false });
for (const text of ['', '~', 'null', 'Null', 'NULL']) EXACT.set(text, { tag: '!!null' });
for (const text of ['.nan', '.NaN', '.NAN']) EXACT.set(text, { tag: '!!float', value: Number.NaN });
for (const text of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
  EXACT.set(text, { tag: '!!float', value: Number.POSITIVE_INFINITY });
for (const text of ['-.inf', '-.Inf', '-.INF']) EXACT.set(text, { tag: '!!float', value: Number.NEGATIVE_INFINITY });

const STRING: GoYamlScalar = { tag: '!!str' };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** go-yaml's `yamlStyleFloat`, the only floats it tries after the integers. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** The kind of first character that can start a non-string (go-yaml's `resolveTable`). */
function hint(text: string): 'sign' | 'digit' | 'map' | 'dot' | undefined {
  if (text === '') return 'map';
  const c = text[0] ?? '';
  if (c === '+' || c === '-') return 'sign';
  if (c >= '0' && c <= '9') return 'digit';
  if ('yYnNtTfFoO~'.includes(c)) return 'map';
  if (c === '.') return 'dot';
  return undefined;
}

/** Go's `underscoreOK`: underscores only between digits, or between a base prefix and a digit. */
function underscoreOK(text: string): boolean {
  let s = text;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  let saw: '^' | '0' | '_' | '!' = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1] ?? '')) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** Go's `strconv.ParseUint(s, 0, 64)`: undefined on a syntax or range error. */
export function goParseUint(text: string): bigint | undefined {
  if (text === '') return undefined;
  let base = 10n;
  let digits = text;
  if (text[0] === '0') {
    // A prefix counts only with a digit after it ("0x" alone is octal 0 followed by an x).
    const second = (text[1] ?? '').toLowerCase();
    const prefixed = text.length >= 3 ? ({ b: 2n, o: 8n, x: 16n } as Record<string, bigint>)[second] : undefined;
    base = prefixed ?? 8n;
    digits = text.slice(prefixed === undefined ? 1 : 2);
  }
  let value = 0n;
  let underscores = false;
  for (const c of digits) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const code = c.charCodeAt(0) | 0x20; // ASCII lower case, as Go's lower()
    const d =
      c >= '0' && c <= '9' ? BigInt(c.charCodeAt(0) - 48) : c.length === 1 && code >= 0x61 && code <= 0x7a ? BigInt(code - 87) : undefined;
    if (d === undefined || d >= base) return undefined;
    value = value * base + d;
    if (value > UINT64_MAX) return undefined;
  }
  if (underscores && !underscoreOK(text)) return undefined;
  return value;
}

/** Go's `strconv.ParseInt(s, 0, 64)`: undefined on a syntax or range error. */
export function goParseInt(text: string): bigint | undefined {
  if (text === '') return undefined;
  const negative = text[0] === '-';
  const unsigned = goParseUint(text[0] === '+' || text[0] === '-' ? text.slice(1) : text);
  if (unsigned === undefined) return undefined;
  const value = negative ? -unsigned : unsigned;
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/**
 * Go's `strconv.ParseFloat(s, 64)` for decimal text (go-yaml never hands it a hexadecimal float, nor
 * `inf`/`nan` spellings outside its own table): undefined on a syntax error or an overflow to ±Inf.
 */
export function goParseDecimalFloat(text: string): number | undefined {
  let i = 0;
  if (text[i] === '+' || text[i] === '-') i++;
  if (text.slice(i, i + 2).toLowerCase() === '0x') return undefined;
  let sawDot = false;
  let sawDigits = false;
  let underscores = false;
  for (; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '_') underscores = true;
    else if (c === '.' && !sawDot) sawDot = true;
    else if (c >= '0' && c <= '9') sawDigits = true;
    else break;
  }
  if (!sawDigits) return undefined;
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!(text[i] !== undefined && (text[i] ?? '') >= '0' && (text[i] ?? '') <= '9')) return undefined;
    for (; i < text.length && /[0-9_]/.test(text[i] ?? ''); i++) if (text[i] === '_') underscores = true;
  }
  if (i !== text.length) return undefined;
  if (underscores && !underscoreOK(text)) return undefined;
  // IEEE round-to-nearest, as Go rounds: JavaScript's Number reads the same decimal the same way.
  const value = Number(text.replaceAll('_', ''));
  return Number.isFinite(value) ? value : undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * go-yaml v2's `parseTimestamp`: Go's `time.Parse` with the layouts `2006-1-2T15:4:5.999999999Z07:00`
 * (also with `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
 */
export function isGoYamlTimestamp(text: string): boolean {
  const match =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.exec(
      text,
    );
  if (match === null) return false;
  const [, y = '', mo = '', d = '', sep, h = '0', mi = '0', s = '0', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day < 1 || day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31))) return false;
  if (sep === undefined) return true;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return false;
  // A zone is required after T or t and not allowed after a space.
  if (sep === ' ') return zone === undefined;
  if (zone === undefined) return false;
  return zone === 'Z' || (Number(zone.slice(1, 3)) <= 24 && Number(zone.slice(4, 6)) <= 60);
}

/** How go-yaml v2 resolves `text` written as a plain scalar (no quotes, no tag), in a value position. */
export function resolveGoYamlPlain(text: string): GoYamlScalar {
  const kind = hint(text);
  if (kind === undefined) return STRING;
  const exact = EXACT.get(text);
  if (exact !== undefined) return exact;
  if (kind === 'map') return STRING;
  if (kind === 'dot') {
    const value = goParseDecimalFloat(text);
    return value === undefined ? STRING : { tag: '!!float', value };
  }
  if (isGoYamlTimestamp(text)) return { tag: '!!timestamp' };
  const plain = text.replaceAll('_', '');
  const int = goParseInt(plain) ?? goParseUint(plain);
  if (int !== undefined) return { tag: '!!int', value: int };
  if (YAML_STYLE_FLOAT.test(plain)) {
    const value = goParseDecimalFloat(plain);
    if (value !== undefined) return { tag: '!!float', value };
  }
  // go-yaml's own `0b`/`-0b` fallbacks read nothing that ParseInt with base 0 has not read above.
  return STRING;
}

/** Whether a plain `<<` is a merge key: only as a mapping key, and only exactly that text. */
export function isGoYamlMergeKey(text: string): boolean {
  return text === '<<';
}

/**
 * Whether `text`, written as a plain scalar, reaches the authenticator as the same string. Strings
 * and timestamps do (a timestamp decoded into `interface{}` stays its text); everything else does
 * not: a null is an absent value, and a number or boolean fails to decode into a Go string.
 */
export function plainReadsAsString(text: string): boolean {
  const resolved = resolveGoYamlPlain(text);
  return resolved.tag === '!!str' || resolved.tag === '!!timestamp';
}

/** A resolved value, described for a person ("the integer 15", "the boolean true"). */
export function describeGoYamlScalar(resolved: GoYamlScalar): string {
  switch (resolved.tag) {
    case '!!str':
    case '!!timestamp':
      return 'a string';
    case '!!null':
      return 'null';
    case '!!bool':
      return `the boolean ${String(resolved.value)}`;
    case '!!int':
      return `the integer ${resolved.value.toString()}`;
    case '!!float':
      return `the float ${Number.isNaN(resolved.value) ? 'NaN' : resolved.value === Infinity ? '+Inf' : resolved.value === -Infinity ? '-Inf' : String(resolved.value)}`;
  }
}

/** A plain scalar that go-yaml reads as a boolean, a number or a float: its text and what it resolves to. */
export class GoYamlValue {
  constructor(
    readonly text: string,
    readonly resolved: Exclude<GoYamlScalar, { tag: '!!str' | '!!null' | '!!timestamp' }>,
  ) {}

  /** Whether JSON can carry it: ToJSON refuses NaN and ±Inf (the whole key is then dropped). */
  get jsonable(): boolean {
    return this.resolved.tag !== '!!float' || Number.isFinite(this.resolved.value);
  }

  describe(): string {
    return describeGoYamlScalar(this.resolved);
  }
}

/**
 * A `yaml` package tag that reads every plain scalar (but a `<<` key, left to the merge tag) with
 * go-yaml v2's rules: strings and timestamps as strings, nulls as null, anything else as a
 * GoYamlValue. Put first in `customTags` so that it wins over the schema's own plain scalars.
 */
export const GO_YAML_PLAIN_TAG: ScalarTag = {
  tag: 'tag:eks-auth-hub.io,2026:go-yaml-plain',
  default: true,
  test: /^(?!<<$)/,
  resolve(text: string): unknown {
    const resolved = resolveGoYamlPlain(text);
    if (resolved.tag === '!!str' || resolved.tag === '!!timestamp') return text;
    if (resolved.tag === '!!null') return null;
    return new GoYamlValue(text, resolved);
  },
  identify: (value: unknown): boolean => value instanceof GoYamlValue,
  stringify: (item): string => (item.value instanceof GoYamlValue ? item.value.text : String(item.value)),
};

/** `customTags` for `parseDocument`/`parse` that reads plain scalars as go-yaml v2 does. */
export function goYamlTags<T>(tags: readonly T[]): (T | ScalarTag)[] {
  return [GO_YAML_PLAIN_TAG, ...tags];
}
