/**
 * Whatever string the hub writes into aws-auth, the authenticator reads it back as that string:
 * every plain scalar in the rendering resolves (go-yaml v2's rules) to a string, and reading the
 * rendering gives the entries back. The guard's read-back check uses the same rules, so a value that
 * would not survive is refused by name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isScalar, parseDocument, visit } from 'yaml';
import { type Entry, entryKey } from '../src/aws-auth/entry.js';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { renderAwsAuth } from '../src/aws-auth/render.js';
import { plainReadsAsString } from '../src/go-yaml-resolve.js';
import { checkWrite } from '../src/guard.js';

const ARN = 'arn:aws:iam::111122223333:role';
/** Strings made of the characters numbers, booleans, nulls and timestamps are written with. */
const numberish = fc.stringMatching(/^[-+]?[0-9oOxXbBeE._:aAfFtTyYnN~-]{0,10}$/);
const value = fc.oneof(
  numberish,
  fc.constantFrom(
    '0o17',
    '0O17',
    '0X1F',
    '0B101',
    '+0O7',
    '-0o7',
    '09',
    '.5_0',
    '1_000',
    '1e3',
    'yes',
    'null',
    '~',
    '2001-01-01',
    '.inf',
    '<<',
    'system:masters',
  ),
  fc.string({ maxLength: 12 }),
);
const entry: fc.Arbitrary<Entry> = fc.record({
  kind: fc.constant('role' as const),
  rolearn: fc.stringMatching(/^[a-z]{1,8}$/).map((name) => `${ARN}/${name}`),
  username: value,
  groups: fc.array(value, { maxLength: 4 }),
});

describe('rendering with go-yaml v2 quoting', () => {
  it('leaves no plain scalar that go-yaml would read as anything but a string', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
        const text = renderAwsAuth(entries).mapRoles ?? '';
        const doc = parseDocument(text, { version: '1.1' });
        visit(doc, {
          Scalar(key, node) {
            if (key === 'key' || node.type !== 'PLAIN' || !isScalar(node)) return;
            expect(plainReadsAsString(String(node.source)), `${JSON.stringify(node.source)} in ${JSON.stringify(text)}`).toBe(true);
          },
        });
      }),
      { numRuns: 400 },
    );
  });

  it("reads back, with the authenticator's rules, as the same strings", () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
        const unique = [...new Map(entries.map((e) => [entryKey(e), e] as const)).values()];
        const read = parseAwsAuth(renderAwsAuth(unique) as Record<string, string>);
        expect(read.problems.filter((p) => p.severity === 'error')).toEqual([]);
        expect(read.mapRoles.map((e) => [e.username, [...e.groups]])).toEqual(
          unique.map((e) => (e.kind === 'role' ? [e.username, [...e.groups]] : [])),
        );
      }),
      { numRuns: 400 },
    );
  });

  it("renders the issue's values quoted, and already-quoted values as before", () => {
    const rendered = renderAwsAuth([
      { kind: 'role', rolearn: `${ARN}/octal`, username: '0o17', groups: ['0X1F', '0B101', '+0O7', 'yes', '1e3', 'plain'] },
    ]);
    expect(rendered.mapRoles).toBe(
      `- rolearn: ${ARN}/octal\n  username: "0o17"\n  groups:\n    - "0X1F"\n    - "0B101"\n    - "+0O7"\n    - "yes"\n    - "1e3"\n    - plain\n`,
    );
  });
});

describe("the guard's read-back", () => {
  it('refuses, by name, a rendering where go-yaml would read a username or group as a number', () => {
    const next: Entry = { kind: 'role', rolearn: `${ARN}/octal`, username: '0o17', groups: ['0X1F'] };
    const refusals = checkWrite({
      live: [],
      next: [next],
      hubWritten: new Set([entryKey(next)]),
      removed: [],
      rendered: { mapRoles: `- rolearn: ${ARN}/octal\n  username: 0o17\n  groups:\n    - 0X1F\n` },
      hubPrincipalArn: undefined,
      maxRemovalRatio: 0.5,
      keptBytes: 0,
    });
    expect(refusals.map((r) => r.message)).toEqual([
      `rendered mapRoles[0]: username 0o17 is not a string to the authenticator: unquoted, it reads as the integer 15, so rolearn ${ARN}/octal has an empty username`,
      `rendered mapRoles[0]: group 0X1F is not a string to the authenticator: unquoted, it reads as the integer 31, so rolearn ${ARN}/octal gets an empty group in its place`,
      'rendered data does not read back as the intended entries',
    ]);
    expect(new Set(refusals.map((r) => r.rule))).toEqual(new Set(['render-invalid']));
  });
});
