/**
 * Characters a reader cannot see: control characters (C0, DEL, C1), invisible formatting characters
 * (zero-width spaces and joiners, bidirectional controls, the byte-order mark, soft hyphen), line and
 * paragraph separators, and unpaired surrogates. Usernames and groups may not hold them, and text
 * taken from a file is shown with them escaped (`\u202E`), never raw.
 */
const INVISIBLE_CLASS = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}';

/** Matches one invisible character. */
export const INVISIBLE_CHAR = new RegExp(`[${INVISIBLE_CLASS}]`, 'u');
const INVISIBLE_CHARS = new RegExp(`[${INVISIBLE_CLASS}]`, 'gu');

/** JSON Schema pattern of a non-empty text without invisible characters (for editors). */
export const VISIBLE_TEXT_PATTERN = `^[^${INVISIBLE_CLASS}]+$`;

/** Bidirectional controls: they make text display in another order than it is stored. */
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** `U+202E` */
export function codePointOf(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What kind of character `char` is, with its code point, e.g. `the control character U+0000`. */
export function describeChar(char: string): string {
  const code = codePointOf(char);
  if (/\p{Cc}/u.test(char)) return `the control character ${code}`;
  if (BIDI_CONTROL.test(char)) return `the bidirectional control character ${code}`;
  if (/[\p{Zl}\p{Zp}]/u.test(char)) return `the ${char === '\u2028' ? 'line' : 'paragraph'} separator ${code}`;
  if (/\p{Cs}/u.test(char)) return `the unpaired surrogate ${code}`;
  return `the invisible character ${code}`;
}

/** `text` with every invisible character written as an escape (`\u0000`, `\u{E0041}`). */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE_CHARS, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16).toUpperCase()}}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** `text` cut to at most `max` characters, marked with `...` when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 4)) ? max - 4 : max - 3;
  return `${text.slice(0, end)}...`;
}
