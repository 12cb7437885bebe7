import { describe, expect, it } from 'vitest';
import { configMapDataBytes, MAX_CONFIGMAP_DATA_BYTES } from '../src/aws-auth/config-map.js';
import { type Entry, entryKey, sameGrant } from '../src/aws-auth/entry.js';
import { parseAwsAuth } from '../src/aws-auth/read.js';
import { refusedTab } from '../src/aws-auth/read-yaml.js';
import { renderAwsAuth } from '../src/aws-auth/render.js';

const ARN = 'arn:aws:iam::111122223333:role';

describe('parseAwsAuth reads like the authenticator', () => {
  it('reads the three keys', () => {
    const parsed = parseAwsAuth({
      mapRoles: `- rolearn: ${ARN}/admin\n  username: admin\n  groups: [system:masters]\n`,
      mapUsers: '- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups:\n  - dev\n',
      mapAccounts: '- "111122223333"\n- "444455556666"\n',
    });
    expect(parsed.problems).toEqual([]);
    expect(parsed.mapRoles).toEqual([{ kind: 'role', rolearn: `${ARN}/admin`, username: 'admin', groups: ['system:masters'] }]);
    expect(parsed.mapUsers).toEqual([
      { kind: 'user', userarn: 'arn:aws:iam::111122223333:user/alice', username: 'alice', groups: ['dev'] },
    ]);
    expect(parsed.mapAccounts.map((a) => a.account)).toEqual(['111122223333', '444455556666']);
  });

  it('matches entry keys without case and ignores unknown ones (with a warning)', () => {
    const parsed = parseAwsAuth({ mapRoles: `- RoleArn: ${ARN}/a\n  UserName: a\n  Groups: [g]\n  note: hi\n` });
    expect(parsed.mapRoles).toEqual([{ kind: 'role', rolearn: `${ARN}/a`, username: 'a', groups: ['g'] }]);
    expect(parsed.problems).toEqual([
      { key: 'mapRoles', index: 0, severity: 'warning', message: 'unknown field "note" is ignored by the authenticator' },
    ]);
  });

  it.each([
    ['empty', ''],
    ['white space', '  \n'],
    ['backticks', '``'],
    ['empty quotes', '""'],
    ['YAML null', 'null'],
  ])('treats a %s key as empty', (_name, value) => {
    const parsed = parseAwsAuth({ mapRoles: value });
    expect(parsed.mapRoles).toEqual([]);
    expect(parsed.problems).toEqual([]);
    expect(parsed.unreadableKeys).toEqual([]);
  });

  it('drops a whole key on invalid YAML and says so, keeping the other keys', () => {
    const parsed = parseAwsAuth({
      mapRoles: `- rolearn: ${ARN}/a\n  groups: [unclosed\n`,
      mapUsers: '- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n',
    });
    expect(parsed.unreadableKeys).toEqual(['mapRoles']);
    expect(parsed.mapRoles).toEqual([]);
    expect(parsed.mapUsers).toHaveLength(1);
    expect(parsed.problems[0]).toMatchObject({ key: 'mapRoles', severity: 'error' });
    expect(parsed.problems[0]?.message).toMatch(/^invalid YAML/);
  });

  it.each([
    ['not a list', 'rolearn: x\n', 'expected a YAML list of mappings'],
    ['an entry that is not a mapping', '- just a string\n', 'entry is not a mapping'],
    ['no rolearn', '- username: a\n  groups: [g]\n', 'entry has no rolearn'],
    ['groups not a list', `- rolearn: ${ARN}/a\n  username: a\n  groups: system:masters\n`, 'groups is not a list of strings'],
    ['a YAML 1.1 boolean username', `- rolearn: ${ARN}/a\n  username: yes\n`, 'username yes is not a string to the authenticator'],
    ['a duplicate map key', `- rolearn: ${ARN}/a\n  rolearn: ${ARN}/b\n`, 'invalid YAML'],
  ])('reports %s as an error', (_name, value, message) => {
    const parsed = parseAwsAuth({ mapRoles: value });
    expect(
      parsed.problems.some((p) => p.severity === 'error' && p.message.includes(message)),
      JSON.stringify(parsed.problems),
    ).toBe(true);
  });

  it('keeps the last of duplicate ARNs, compared without case, and warns', () => {
    const parsed = parseAwsAuth({
      mapRoles: `- rolearn: ${ARN}/Admin\n  username: first\n- rolearn: ${ARN}/other\n  username: o\n- rolearn: ${ARN.toUpperCase()}/ADMIN\n  username: last\n`,
    });
    expect(parsed.mapRoles.map((r) => r.username)).toEqual(['o', 'last']);
    expect(parsed.problems).toEqual([
      expect.objectContaining({ severity: 'warning', index: 2, message: expect.stringContaining('mapped more than once') }),
    ]);
  });

  it('reports a wrong-case top-level key, which the authenticator never reads', () => {
    const parsed = parseAwsAuth({ maproles: `- rolearn: ${ARN}/a\n  username: a\n` });
    expect(parsed.mapRoles).toEqual([]);
    expect(parsed.problems).toEqual([expect.objectContaining({ key: 'maproles', severity: 'error' })]);
  });

  it('keeps the leading zero of an unquoted account ID and warns', () => {
    const parsed = parseAwsAuth({ mapAccounts: '- 011122223333\n- "444455556666"\n' });
    expect(parsed.mapAccounts.map((a) => a.account)).toEqual(['011122223333', '444455556666']);
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: 'warning', message: 'account 011122223333 is not quoted' })]);
  });

  it('warns about a rolearn with a path', () => {
    const parsed = parseAwsAuth({ mapRoles: `- rolearn: ${ARN}/team/dev\n  username: d\n` });
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('carries a path') })]);
  });

  it('refuses an alias bomb', () => {
    const lines = ['- &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`- &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const parsed = parseAwsAuth({ mapRoles: lines.join('\n') });
    expect(parsed.unreadableKeys).toEqual(['mapRoles']);
  });

  it('reports a rolearn that is not a string as such (not as a missing one)', () => {
    const parsed = parseAwsAuth({ mapRoles: '- rolearn: 123456789012\n  username: n\n- rolearn: null\n  username: m\n' });
    expect(parsed.problems).toEqual([
      { key: 'mapRoles', index: 0, severity: 'error', message: 'rolearn is not a string' },
      { key: 'mapRoles', index: 1, severity: 'error', message: 'entry has no rolearn' },
    ]);
  });

  it('reads null username and groups as empty, as the authenticator does', () => {
    const parsed = parseAwsAuth({ mapRoles: `- rolearn: ${ARN}/a\n  username: null\n  groups: ~\n` });
    expect(parsed.mapRoles).toEqual([{ kind: 'role', rolearn: `${ARN}/a`, username: '', groups: [] }]);
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: 'warning', message: `rolearn ${ARN}/a has no username` })]);
  });

  it('warns about an STS ARN, which never matches', () => {
    const parsed = parseAwsAuth({ mapRoles: '- rolearn: arn:aws:sts::111122223333:assumed-role/ci/session\n  username: ci\n' });
    expect(parsed.mapRoles).toHaveLength(1);
    expect(parsed.problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('is an STS ARN') })]);
  });

  it('warns about templates the authenticator does not expand in live entries', () => {
    const parsed = parseAwsAuth({
      mapRoles: `- rolearn: ${ARN}/a\n  username: "dev:{{session_name}}"\n  groups: ["{{SessionName}}", ok]\n`,
    });
    expect(parsed.mapRoles).toHaveLength(1);
    expect(parsed.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining('username uses the unknown template {{session_name}}'),
      }),
    ]);
  });
});

describe('parseAwsAuth reads the text as libyaml does', () => {
  const entry = `- rolearn: ${ARN}/a\n  username: a\n  groups:\n    - g\n`;
  const read = [{ kind: 'role', rolearn: `${ARN}/a`, username: 'a', groups: ['g'] }];

  it('skips a leading byte-order mark, with a warning', () => {
    const parsed = parseAwsAuth({ mapRoles: `\ufeff${entry}` });
    expect(parsed.mapRoles).toEqual(read);
    expect(parsed.problems).toEqual([
      { key: 'mapRoles', severity: 'warning', message: 'starts with a byte-order mark (U+FEFF); the authenticator skips it' },
    ]);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('reads %s line breaks as line breaks, with a warning', (_name, eol) => {
    const parsed = parseAwsAuth({ mapRoles: entry.replaceAll('\n', eol) });
    expect(parsed.mapRoles).toEqual(read);
    expect(parsed.problems).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringContaining('CR or CRLF line breaks') }),
    ]);
  });

  it.each([
    ['after ":"', `- rolearn: ${ARN}/a\n  username:\ta\n`, { line: 2, column: 12 }],
    ['indenting a line', `- rolearn: ${ARN}/a\n\tusername: a\n`, { line: 2, column: 1 }],
    ['before a comment at the start of a line', `- rolearn: ${ARN}/a\n\t# note\n  username: a\n`, { line: 2, column: 1 }],
    ['after "-"', `-\trolearn: ${ARN}/a\n`, { line: 1, column: 2 }],
  ])('refuses a tab %s, where libyaml refuses it (the whole key is unreadable)', (_name, text, at) => {
    expect(refusedTab(text)).toEqual(at);
    const parsed = parseAwsAuth({ mapRoles: text, mapUsers: '- userarn: arn:aws:iam::111122223333:user/u\n  username: u\n' });
    expect(parsed.unreadableKeys).toEqual(['mapRoles']);
    expect(parsed.mapUsers).toHaveLength(1);
    expect(parsed.problems).toEqual([
      expect.objectContaining({
        key: 'mapRoles',
        severity: 'error',
        message: expect.stringContaining(`a tab at line ${at.line}, column ${at.column}`),
      }),
    ]);
  });

  it.each([
    ['inside a flow collection', `- {rolearn: ${ARN}/a,\tusername: a, groups: [g,\tg2]}\n`],
    ['after a value', `- rolearn: ${ARN}/a\t\n  username: a\t# note\n`],
    ['before ":"', `- rolearn: ${ARN}/a\n  username\t: a\n`],
    ['inside quotes', `- rolearn: ${ARN}/a\n  username: "a\tb"\n`],
  ])('accepts a tab %s, as libyaml does', (_name, text) => {
    expect(refusedTab(text)).toBeUndefined();
    expect(parseAwsAuth({ mapRoles: text }).unreadableKeys).toEqual([]);
  });
});

describe('configMapDataBytes', () => {
  it('counts data values in UTF-8 and binaryData decoded, not keys', () => {
    expect(configMapDataBytes({ k: 'abc', é: 'é' })).toBe(5);
    expect(configMapDataBytes({}, { a: 'AAEC', b: 'AAE=', c: 'AA==', d: '' })).toBe(6);
    expect(MAX_CONFIGMAP_DATA_BYTES).toBe(1048576);
  });
});

describe('renderAwsAuth', () => {
  const entries: Entry[] = [
    { kind: 'role', rolearn: `${ARN}/admin`, username: 'admin:{{SessionName}}', groups: ['system:masters'] },
    {
      kind: 'role',
      rolearn: `${ARN}/node`,
      username: 'system:node:{{EC2PrivateDNSName}}',
      groups: ['system:bootstrappers', 'system:nodes'],
    },
    { kind: 'user', userarn: 'arn:aws:iam::111122223333:user/alice', username: 'yes', groups: ['on', '- x', 'null', '123'] },
    { kind: 'account', account: '011122223333' },
  ];

  it('renders readable, byte-stable YAML', () => {
    const rendered = renderAwsAuth(entries);
    expect(rendered.mapRoles).toBe(
      [
        `- rolearn: ${ARN}/admin`,
        '  username: admin:{{SessionName}}',
        '  groups:',
        '    - system:masters',
        `- rolearn: ${ARN}/node`,
        '  username: system:node:{{EC2PrivateDNSName}}',
        '  groups:',
        '    - system:bootstrappers',
        '    - system:nodes',
        '',
      ].join('\n'),
    );
    expect(renderAwsAuth(entries)).toEqual(rendered);
  });

  it('quotes what a YAML 1.1 reader would turn into something else, and reads back equal', () => {
    const rendered = renderAwsAuth(entries);
    expect(rendered.mapUsers).toContain('username: "yes"');
    expect(rendered.mapAccounts).toBe('- "011122223333"\n');
    const parsed = parseAwsAuth(rendered as Record<string, string>);
    expect(parsed.problems).toEqual([]);
    expect([...parsed.mapRoles, ...parsed.mapUsers, ...parsed.mapAccounts]).toEqual(entries);
  });

  it('leaves out keys without entries', () => {
    expect(renderAwsAuth([])).toEqual({});
  });
});

describe('entry identity and grants', () => {
  it('compares ARNs without case and groups as sets', () => {
    const a: Entry = { kind: 'role', rolearn: `${ARN}/Admin`, username: 'u', groups: ['b', 'a'] };
    const b: Entry = { kind: 'role', rolearn: `${ARN.toUpperCase()}/ADMIN`, username: 'u', groups: ['a', 'b', 'a'] };
    expect(entryKey(a)).toBe(entryKey(b));
    expect(sameGrant(a, b)).toBe(true);
    expect(sameGrant(a, { ...b, username: 'v' })).toBe(false);
    expect(sameGrant(a, { ...b, groups: ['a'] })).toBe(false);
    expect(sameGrant(a, { ...a })).toBe(true);
    expect(sameGrant(a, { ...a, username: 'v' })).toBe(false);
    expect(sameGrant(a, { ...a, groups: ['a', 'b'] })).toBe(true);
    expect(sameGrant(a, { ...a, groups: ['b', 'b'] })).toBe(false);
    expect(sameGrant({ ...a, groups: ['a', 'a'] }, { ...a, groups: ['a', 'b'] })).toBe(false);
    expect(sameGrant({ ...a, groups: [] }, { ...a, groups: [] })).toBe(true);
  });
});
