/** go-yaml v2's plain-scalar resolver against the table of expected types in go-yaml-cases.ts. */
import { describe, expect, it } from 'vitest';
import { plainReadsAsString, resolveGoYamlPlain } from '../src/go-yaml-resolve.js';
import { GO_YAML_CASES as CASES } from './go-yaml-cases.js';

describe('go-yaml v2 plain-scalar resolution', () => {
  it('has a table of at least 200 scalars, each once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(200);
    expect(new Set(CASES.map(([text]) => text)).size).toBe(CASES.length);
  });

  it.each(CASES.map(([text, tag, value]) => ({ text, tag, value })))('$text resolves to $tag', ({ text, tag, value }) => {
    const resolved = resolveGoYamlPlain(text);
    expect(resolved.tag).toBe(tag);
    if (value !== undefined) expect('value' in resolved ? resolved.value : undefined).toEqual(value);
    // Only strings and timestamps (kept as their text in interface{}) reach the authenticator as themselves.
    expect(plainReadsAsString(text)).toBe(tag === '!!str' || tag === '!!timestamp');
  });
});
