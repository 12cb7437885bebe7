/**
 * Reading and rendering aws-auth item by item (with remembered items) must give exactly what reading
 * and rendering each key as one document gives:
 * - rendering: the joined item texts are byte for byte the `yaml` package's rendering of the whole list;
 * - reading: for rendered lists and for hostile variations of them (comments, blank lines, document
 *   markers, aliases across items, flow collections and quoted scalars that span items, tabs, CR,
 *   items that are not mappings, duplicates), the entries, problems and unreadable keys are equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../src/aws-auth/entry.js';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { closedListItems } from '../src/aws-auth/read-by-item.js';
import { renderAwsAuth, renderList } from '../src/aws-auth/render.js';
import { BoundedMemo } from '../src/bounded-memo.js';

const ACCOUNT = '111122223333';
/** Text that stresses YAML 1.1 quoting and reading. */
const word = fc.oneof(
  fc.constantFrom(
    'yes',
    'No',
    'on',
    'OFF',
    'null',
    '~',
    '',
    '123',
    '0x1F',
    '0o17',
    '0X1F',
    '0B101',
    '+0O7',
    '-0o7',
    '09',
    '.5_0',
    '1_000',
    '2001-12-14',
    '- x',
    '#x',
    'a #b',
    '*a',
    '&b',
    '!t',
    '%p',
    '@u',
    '`b',
    "a'b",
    'a"b',
    'a: b',
    'a:b',
    '[x]',
    '{y}',
    '|',
    '>',
    '? q',
    ' lead',
    'trail ',
    'system:masters',
    'line\nbreak',
    'ünïcödé',
    '日本語',
    'emoji-🙂',
    '{{SessionName}}',
  ),
  fc.string({ maxLength: 12 }),
);
const STAND_INS = ['arn:aws:iam::000000000000:role/eks-auth-hub-stand-in', 'arn:aws:iam::000000000000:user/eks-auth-hub-stand-in'];
/** ARNs in and out of the simple form that items are remembered by (IAM's name characters, no path). */
const arnOf = (type: 'role' | 'user'): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'aws-iso'),
        fc.constantFrom(ACCOUNT, '000000000000', '012345670123', '999999999999', '12345'),
        fc.oneof(
          fc.constantFrom(
            'admin',
            'Admin',
            'a+b=c',
            'x,y@z.w_v-u',
            'AWSReservedSSO_Admin_0123456789abcdef',
            'p/ath/x',
            'a b',
            'a: b',
            'a #b',
            'eks-auth-hub-stand-in',
            'a\nb',
          ),
          fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{1,20}$/),
          fc.string({ maxLength: 6 }),
        ),
      )
      .map(([partition, account, name]) => `arn:${partition}:iam::${account}:${type}/${name}`),
    fc.constantFrom(...STAND_INS, `arn:aws:sts::${ACCOUNT}:assumed-role/a/b`),
    word,
  );
const nameWord = fc.oneof(word, fc.constantFrom(...STAND_INS, `x-${STAND_INS[0] ?? ''}`));
const roleEntry: fc.Arbitrary<Entry> = fc.record({
  kind: fc.constant('role' as const),
  rolearn: arnOf('role'),
  username: nameWord,
  groups: fc.array(nameWord, { maxLength: 3 }),
});
const userEntry: fc.Arbitrary<Entry> = fc.record({
  kind: fc.constant('user' as const),
  userarn: arnOf('user'),
  username: nameWord,
  groups: fc.array(nameWord, { maxLength: 3 }),
});

function wholeRendering(entries: readonly Entry[]): Record<string, string> {
  const roles = entries.flatMap((e) => (e.kind === 'role' ? [{ rolearn: e.rolearn, username: e.username, groups: [...e.groups] }] : []));
  const users = entries.flatMap((e) => (e.kind === 'user' ? [{ userarn: e.userarn, username: e.username, groups: [...e.groups] }] : []));
  const out: Record<string, string> = {};
  if (roles.length > 0) out.mapRoles = renderList(roles);
  if (users.length > 0) out.mapUsers = renderList(users);
  return out;
}

/** Edits that make a list's items depend on each other, or make the text something other than closed items. */
const edit = fc.oneof(
  fc.constantFrom(
    '# a comment\n',
    '\n',
    '---\n',
    '...\n',
    '%YAML 1.1\n',
    '- &a {rolearn: arn:aws:iam::111122223333:role/x, username: u}\n',
    '- *a\n',
    '- [\n',
    '  ]\n',
    '- "open\n',
    '  close"\n',
    '- rolearn: x\n\tusername: y\n',
    '- rolearn: x\r\n',
    '-x\n',
    '- plain\n',
    '- - nested\n',
    '- rolearn: arn:aws:iam::111122223333:role/admin\n  username: again\n',
    '  continued: line\n',
    'mapRoles: 1\n',
    '- rolearn: a\n  groups:\n  - g\n  -  h\n',
    '- rolearn: multi\n  username: first\n    second\n',
    '- rolearn: block\n  username: |\n    one\n\n    two\n',
    '- rolearn: arn:aws:iam::111122223333:role/admin\n    continued\n  username: u\n',
    '- rolearn: arn:aws:iam::111122223333:role/admin\n  username: arn:aws:iam::000000000000:role/eks-auth-hub-stand-in\n',
    '- rolearn: arn:aws:iam::000000000000:role/eks-auth-hub-stand-in\n',
    '- userarn: arn:aws:iam::111122223333:user/bob\n  rolearn: arn:aws:iam::111122223333:role/x\n',
    '- rolearn: arn:aws:iam::111122223333:role/x\n  rolearn: arn:aws:iam::111122223333:role/y\n',
    '- rolearn: arn:aws:iam::111122223333:role/x\n  username:\n  groups: [a, b]\n',
    '- rolearn: arn:aws:iam::111122223333:role/x\n  username: 0o17\n  groups: [0X1F, +0O7, ok]\n',
    '- rolearn: arn:aws:iam::111122223333:role/x\n  username: .inf\n',
    '- rolearn: arn:aws:iam::111122223333:role/x\n  ~: null key\n',
  ),
  fc.string({ maxLength: 20 }).map((s) => `${s}\n`),
);

const mutated = fc
  .tuple(fc.array(fc.oneof(roleEntry, userEntry), { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), edit), { maxLength: 3 }))
  .map(([entries, edits]) => {
    const data = wholeRendering(entries);
    for (const [at, text] of edits) {
      const key = at % 2 === 0 ? 'mapRoles' : 'mapUsers';
      const lines = (data[key] ?? '').split(/(?<=\n)/);
      lines.splice(at % (lines.length + 1), 0, text);
      data[key] = lines.join('');
    }
    return data;
  });

describe('aws-auth item by item', () => {
  it('renders byte for byte what rendering the whole list renders', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(roleEntry, userEntry), { maxLength: 8 }), (entries) => {
        expect(renderAwsAuth(entries)).toEqual(wholeRendering(entries));
        // Twice: the second time from remembered items.
        expect(renderAwsAuth(entries)).toEqual(wholeRendering(entries));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('reads rendered lists as reading them whole does', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(roleEntry, userEntry), { maxLength: 8 }), (entries) => {
        const data = wholeRendering(entries);
        expect(parseAwsAuth(data)).toEqual(parseAwsAuth(data, { byItem: false }));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('reads edited lists (items that depend on each other, or are not closed) as reading them whole does', () => {
    fc.assert(
      fc.property(mutated, (data) => {
        expect(parseAwsAuth(data)).toEqual(parseAwsAuth(data, { byItem: false }));
      }),
      { numRuns: 2_000, seed: 13 },
    );
  });

  it('splits only lists of closed items', () => {
    expect(closedListItems('- a: 1\n  b: 2\n- c\n')).toEqual(['- a: 1\n  b: 2\n', '- c\n']);
    expect(closedListItems('- a\n- b')).toEqual(['- a\n', '- b']);
    expect(closedListItems('- a\n\n- b\n')).toBeUndefined();
    expect(closedListItems('- a\n# c\n- b\n')).toBeUndefined();
    expect(closedListItems('---\n- a\n')).toBeUndefined();
    expect(closedListItems('- a\n-b\n')).toBeUndefined();
    expect(closedListItems('- a:\n\t- b\n')).toBeUndefined();
    expect(closedListItems('a: 1\n')).toBeUndefined();
  });

  it('reads an alias to an anchor in another item as the whole text does (the item alone does not read)', () => {
    const data = { mapRoles: '- &r\n  rolearn: arn:aws:iam::111122223333:role/a\n  username: a\n- *r\n' };
    const read = parseAwsAuth(data);
    expect(read).toEqual(parseAwsAuth(data, { byItem: false }));
    expect(read.mapRoles).toHaveLength(1);
    expect(read.problems.map((p) => p.message)).toEqual([
      'rolearn arn:aws:iam::111122223333:role/a is mapped more than once; the authenticator uses the last entry',
    ]);
  });
});

describe('BoundedMemo', () => {
  it('computes once per key, keeps at most maxEntries and drops the least recently used', () => {
    const memo = new BoundedMemo<number>(2);
    let computed = 0;
    const get = (key: string): number => memo.get(key, () => (computed += 1));
    expect(get('a')).toBe(1);
    expect(get('b')).toBe(2);
    expect(get('a')).toBe(1); // a is now the most recently used
    expect(get('c')).toBe(3); // b goes
    expect(memo.size).toBe(2);
    expect(get('a')).toBe(1);
    expect(get('b')).toBe(4);
    expect({ hits: memo.hits, misses: memo.misses }).toEqual({ hits: 2, misses: 4 });
  });

  it('remembers null and undefined results too', () => {
    const memo = new BoundedMemo<null | undefined>(4);
    let computed = 0;
    memo.get('n', () => {
      computed += 1;
      return null;
    });
    memo.get('n', () => {
      computed += 1;
      return null;
    });
    memo.get('u', () => {
      computed += 1;
      return undefined;
    });
    memo.get('u', () => {
      computed += 1;
      return undefined;
    });
    expect(computed).toBe(2);
  });

  it('refuses a bound that is not a whole number >= 1', () => {
    expect(() => new BoundedMemo(0)).toThrow(RangeError);
    expect(() => new BoundedMemo(1.5)).toThrow(RangeError);
  });
});
