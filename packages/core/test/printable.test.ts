import { describe, expect, it } from 'vitest';
import { clip, escapeInvisible, INVISIBLE_CHAR, VISIBLE_TEXT_PATTERN } from '../src/printable.js';

describe('escapeInvisible', () => {
  it.each([
    ['a\u0000b', 'a\\u0000b'],
    ['line\nbreak\ttab', 'line\\u000Abreak\\u0009tab'],
    ['\u009b[31m', '\\u009B[31m'],
    ['ad\u202emin\u200b', 'ad\\u202Emin\\u200B'],
    ['\ufeffx\u2028', '\\uFEFFx\\u2028'],
    ['tag\u{e0041}', 'tag\\u{E0041}'],
    ['lone \ud800', 'lone \\uD800'],
    ['système:ünïcode 🙂 аdmin', 'système:ünïcode 🙂 аdmin'],
  ])('%j → %j', (text, shown) => {
    expect(escapeInvisible(text)).toBe(shown);
    expect(INVISIBLE_CHAR.test(escapeInvisible(text))).toBe(false);
  });
});

describe('clip', () => {
  it('keeps short text and cuts long text to the limit, never inside a surrogate pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcdef', 5)).toBe('ab...');
    const cut = clip(`abcd🙂${'x'.repeat(10)}`, 8);
    expect(cut).toBe('abcd...');
    expect(/\p{Cs}/u.test(cut)).toBe(false);
  });
});

describe('VISIBLE_TEXT_PATTERN', () => {
  it('is the JSON Schema form of the same rule', () => {
    const pattern = new RegExp(VISIBLE_TEXT_PATTERN, 'u');
    expect(pattern.test('admin:{{SessionName}}')).toBe(true);
    for (const bad of ['', 'a\nb', 'a\u202eb', 'a\u200bb', 'a\u0085b']) expect(pattern.test(bad)).toBe(false);
  });
});
