/**
 * The desired-state file's bytes as text: UTF-8 only, and none of the characters a YAML file may not hold
 * anywhere (each refused with its line and column).
 */
import { describeChar } from './printable.js';

type Decoded =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly line: number; readonly column: number; readonly message: string };

/** UTF-8 bytes → text. A leading byte-order mark is dropped; UTF-16 and invalid bytes are located problems. */
export function decodeUtf8(bytes: Uint8Array): Decoded {
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

export function unreadableChar(text: string): { readonly offset: number; readonly message: string } | undefined {
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
export function positionOf(text: string, offset: number): { readonly line: number; readonly column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
