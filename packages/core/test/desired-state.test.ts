import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDesiredState, parseDesiredState } from '../src/desired-state.js';
import { ConfigError, type ConfigIssue, formatConfigIssue, MAX_LISTED_ISSUES } from '../src/errors.js';
import { MAX_FILE_BYTES, MAX_NESTING } from '../src/yaml-source.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const HEAD = `apiVersion: eks-auth-hub/v1
hub:
  roleName: eks-auth-hub-spoke
`;

/** A file with one cluster whose body is `body` (indented under the cluster item). */
function withCluster(body: string, head = HEAD): string {
  return `${head}clusters:
  - name: c1
    account: "111122223333"
    region: eu-west-1
${body
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
}

function issuesOf(text: string): ConfigIssue[] {
  const result = loadDesiredState(text, 'hub.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return [...result.error.issues];
}

describe('loadDesiredState: the example file', () => {
  const text = readFileSync(join(repo, 'config', 'hub.yaml'), 'utf8');
  const state = parseDesiredState(text, 'config/hub.yaml');

  it('loads every cluster with defaults merged and $ACCOUNTID substituted', () => {
    expect(state.clusters.map((c) => c.name)).toEqual(['payments-prod', 'payments-staging', 'analytics', 'sandbox']);
    const prod = state.clusters[0];
    expect(prod?.mapRoles[0]).toEqual({
      kind: 'permissionset',
      permissionSet: 'AdministratorAccess',
      username: 'admin:{{SessionName}}',
      groups: ['system:masters'],
    });
    expect(prod?.mapRoles[1]).toEqual({
      kind: 'rolearn',
      rolearn: 'arn:aws:iam::111122223333:role/ci-deployer',
      username: 'ci-deployer',
      groups: ['deployers'],
    });
    const analytics = state.clusters[2];
    expect(analytics?.mapRoles[1]).toMatchObject({ rolearn: 'arn:aws:iam::444455556666:role/ci-deployer' });
  });

  it('derives partition, ownership and ids, and leaves defaults out where asked', () => {
    const sandbox = state.clusters[3];
    expect(sandbox?.partition).toBe('aws-us-gov');
    expect(sandbox?.mapRoles.map((r) => (r.kind === 'rolearn' ? r.rolearn : r.permissionSet))).toEqual([
      'SandboxAdmin',
      'arn:aws-us-gov:iam::777788889999:role/batch-runner',
    ]);
    expect(state.clusters[1]?.ownership).toBe('merge');
    expect(state.clusters[0]?.id).toBe('111122223333/eu-west-1/payments-prod');
  });

  it('applies hub settings and their defaults', () => {
    expect(state.hub).toEqual({
      roleName: 'eks-auth-hub-spoke',
      externalId: 'example-external-id',
      sessionName: 'eks-auth-hub',
      interval: '10m',
      intervalMs: 600_000,
      concurrency: 16,
      accountConcurrency: 4,
      requestTimeout: '15s',
      requestTimeoutMs: 15_000,
      passTimeout: '10m',
      passTimeoutMs: 600_000,
      guard: { maxRemovalRatio: 0.5 },
    });
    const minimal = parseDesiredState(withCluster(''), 'x.yaml');
    expect(minimal.hub).toMatchObject({ sessionName: 'eks-auth-hub', interval: '10m', concurrency: 16, guard: { maxRemovalRatio: 0.5 } });
    expect(minimal.clusters[0]).toMatchObject({ ownership: 'full', nodeRoles: [], mapRoles: [], mapUsers: [], mapAccounts: [] });
  });

  it('hashes deterministically and only changes the hash of the cluster that changed', () => {
    const again = parseDesiredState(text, 'config/hub.yaml');
    expect(again.hash).toBe(state.hash);
    const edited = parseDesiredState(text.replace('groups: [viewers]', 'groups: [viewers, auditors]'), 'config/hub.yaml');
    expect(edited.hash).not.toBe(state.hash);
    expect(edited.clusters[0]?.desiredHash).not.toBe(state.clusters[0]?.desiredHash);
    expect(edited.clusters[2]?.desiredHash).toBe(state.clusters[2]?.desiredHash);
  });
});

describe('loadDesiredState: a fleet', () => {
  const fleet = parseDesiredState(
    `${HEAD}defaults:
  mapRoles:
    - permissionset: AdministratorAccess
      username: admin
      groups: [system:masters]
    - rolearn: arn:aws:iam::$ACCOUNTID:role/ci
      username: ci
  mapUsers:
    - userarn: arn:aws:iam::111122223333:user/ops
      username: ops
clusters:
  - { name: a1, account: "111122223333", region: eu-west-1 }
  - { name: a2, account: "111122223333", region: eu-west-1 }
  - { name: b1, account: "444455556666", region: eu-west-1 }
  - { name: b2, account: "444455556666", region: eu-west-1, mapAccounts: ["444455556666"] }
  - name: b3
    account: "444455556666"
    region: eu-west-1
    mapRoles:
      - rolearn: arn:aws:iam::444455556666:role/extra
        username: extra
`,
    'hub.yaml',
  );
  const [a1, a2, b1, b2, b3] = fleet.clusters;

  it('shares what clusters have in common: one list and one mapping for every cluster with equal mappings', () => {
    expect(a1?.mapRoles).toBe(a2?.mapRoles);
    expect(b1?.mapRoles).toBe(b2?.mapRoles);
    expect(a1?.mapUsers).toBe(b1?.mapUsers);
    expect(a1?.desiredHash).toBe(a2?.desiredHash);
    expect(b1?.mapRoles[1]).toBe(b3?.mapRoles[1]);
    expect(a1?.mapRoles[0]).toBe(b3?.mapRoles[0]);
  });

  it("keeps apart what differs: $ACCOUNTID per account, a cluster's own mappings and lists", () => {
    expect(a1?.mapRoles).not.toBe(b1?.mapRoles);
    expect(a1?.mapRoles[1]).toEqual({ kind: 'rolearn', rolearn: 'arn:aws:iam::111122223333:role/ci', username: 'ci', groups: [] });
    expect(b1?.mapRoles[1]).toEqual({ kind: 'rolearn', rolearn: 'arn:aws:iam::444455556666:role/ci', username: 'ci', groups: [] });
    expect(b3?.mapRoles.map((r) => (r.kind === 'rolearn' ? r.rolearn : r.permissionSet))).toEqual([
      'AdministratorAccess',
      'arn:aws:iam::444455556666:role/ci',
      'arn:aws:iam::444455556666:role/extra',
    ]);
    expect(b1?.mapAccounts).toEqual([]);
    expect(b2?.mapAccounts).toEqual(['444455556666']);
    expect(b2?.desiredHash).not.toBe(b1?.desiredHash);
    expect(b3?.desiredHash).not.toBe(b1?.desiredHash);
  });
});

describe('loadDesiredState: located errors', () => {
  it.each([
    {
      name: 'a rolearn with a path shows the stripped form',
      body: 'mapRoles:\n  - rolearn: arn:aws:iam::111122223333:role/team/dev\n    username: dev',
      line: 9,
      col: 18,
      path: 'clusters[0].mapRoles[0].rolearn',
      message: 'write arn:aws:iam::111122223333:role/dev',
    },
    {
      name: 'both rolearn and permissionset',
      body: 'mapRoles:\n  - rolearn: arn:aws:iam::111122223333:role/dev\n    permissionset: Dev\n    username: dev',
      line: 10,
      col: 24,
      path: 'clusters[0].mapRoles[0].permissionset',
      message: 'either rolearn or permissionset, not both',
    },
    {
      name: 'neither rolearn nor permissionset',
      body: 'mapRoles:\n  - username: dev\n    groups: [a]',
      line: 9,
      col: 9,
      path: 'clusters[0].mapRoles[0]',
      message: 'required: one of rolearn or permissionset',
    },
    {
      name: 'an unknown template',
      body: 'mapRoles:\n  - permissionset: Dev\n    username: "dev:{{SessionID}}"',
      line: 10,
      col: 19,
      path: 'clusters[0].mapRoles[0].username',
      message: 'unknown template {{SessionID}}',
    },
    {
      name: 'an unclosed template',
      body: 'mapRoles:\n  - permissionset: Dev\n    username: "dev:{{SessionName"',
      line: 10,
      col: 19,
      path: 'clusters[0].mapRoles[0].username',
      message: '"{{" without a closing "}}"',
    },
    {
      name: "{{SessionName}} in a user's username (an IAM user has no session name)",
      body: 'mapUsers:\n  - userarn: arn:aws:iam::111122223333:user/alice\n    username: "alice:{{SessionName}}"',
      line: 10,
      col: 19,
      path: 'clusters[0].mapUsers[0].username',
      message: 'username uses {{SessionName}}, which the authenticator makes from the session name: only an assumed role has one',
    },
    {
      name: 'a newline in a group',
      body: 'mapRoles:\n  - permissionset: Dev\n    username: dev\n    groups: ["a\\nb"]',
      line: 11,
      col: 18,
      path: 'clusters[0].mapRoles[0].groups[0]',
      message: 'control character U+000A',
    },
    {
      name: '$ACCOUNTID outside an ARN account field',
      body: 'mapRoles:\n  - rolearn: arn:aws:iam::111122223333:role/x-$ACCOUNTID\n    username: x',
      line: 9,
      col: 18,
      path: 'clusters[0].mapRoles[0].rolearn',
      message: 'role name "x-$ACCOUNTID"',
    },
    {
      name: 'a 33-character permission set name',
      body: `mapRoles:\n  - permissionset: ${'P'.repeat(33)}\n    username: p`,
      line: 9,
      col: 24,
      path: 'clusters[0].mapRoles[0].permissionset',
      message: 'permission set name',
    },
    {
      name: 'an ARN of another partition',
      body: 'mapRoles:\n  - rolearn: arn:aws-cn:iam::111122223333:role/x\n    username: x',
      line: 9,
      col: 18,
      path: 'clusters[0].mapRoles[0].rolearn',
      message: 'partition aws-cn does not match',
    },
    {
      name: 'a look-alike letter in an ARN',
      body: 'mapRoles:\n  - rolearn: arn:aws:iam::111122223333:role/аdmin\n    username: x',
      line: 9,
      col: 18,
      path: 'clusters[0].mapRoles[0].rolearn',
      message: 'printable ASCII',
    },
    {
      name: 'a typo in a key',
      body: 'mapRoles:\n  - permisionset: Dev\n    username: dev',
      line: 9,
      col: 9,
      path: 'clusters[0].mapRoles[0].permisionset',
      message: 'unknown key "permisionset" (did you mean "permissionset"?)',
    },
    {
      name: 'a typo also leaves the entry without a role',
      body: 'mapRoles:\n  - permisionset: Dev\n    username: dev',
      line: 9,
      col: 9,
      path: 'clusters[0].mapRoles[0]',
      message: 'required: one of rolearn or permissionset',
    },
    {
      name: 'an unknown ownership',
      body: 'ownership: replace',
      line: 8,
      col: 16,
      path: 'clusters[0].ownership',
      message: 'expected "full" or "merge"; got "replace"',
    },
    {
      name: 'a user ARN under mapRoles',
      body: 'mapRoles:\n  - rolearn: arn:aws:iam::111122223333:user/alice\n    username: alice',
      line: 9,
      col: 18,
      path: 'clusters[0].mapRoles[0].rolearn',
      message: 'put users under mapUsers',
    },
    {
      name: 'a role mapped twice',
      body: 'mapRoles:\n  - rolearn: arn:aws:iam::111122223333:role/x\n    username: x\n  - rolearn: arn:aws:iam::111122223333:role/X\n    username: y',
      line: 11,
      col: 18,
      path: 'clusters[0].mapRoles[1].rolearn',
      message: 'is mapped twice',
    },
    {
      name: 'a file role that is also a node role',
      body: 'nodeRoles: [arn:aws:iam::111122223333:role/node]\nmapRoles:\n  - rolearn: arn:aws:iam::111122223333:role/node\n    username: x',
      line: 10,
      col: 18,
      path: 'clusters[0].mapRoles[0].rolearn',
      message: 'is also a node role',
    },
    {
      name: 'a bad mapAccounts entry',
      body: 'mapAccounts: ["12345"]',
      line: 8,
      col: 19,
      path: 'clusters[0].mapAccounts[0]',
      message: '12-digit AWS account ID',
    },
  ])('$name', ({ body, line, col, path, message }) => {
    const issues = issuesOf(withCluster(body)).filter((i) => i.path === path);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue?.path).toBe(path);
    expect(issue?.message).toContain(message);
    expect(issue?.location).toEqual({ file: 'hub.yaml', line, column: col });
  });

  it('reports an unquoted account ID with the reason to quote it', () => {
    const text = withCluster('').replace('account: "111122223333"', 'account: 011122223333');
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('clusters[0].account');
    expect(issue?.message).toMatch(/got the number 11122223333 \(quote account IDs/);
    expect(issue?.location.line).toBe(6);
  });

  it('reports every problem at once, in file order', () => {
    const text = `apiVersion: eks-auth-hub/v2
hub:
  roleName: "bad role"
  interval: 5x
  concurency: 3
clusters:
  - name: c1
    account: "1234"
    region: europe
    mapRoles:
      - permissionset: Dev
        username: ""
  - name: c1
    account: "111122223333"
    region: eu-west-1
  - name: c1
    account: "111122223333"
    region: eu-west-1
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.location.line, i.path])).toEqual([
      [1, 'apiVersion'],
      [3, 'hub.roleName'],
      [4, 'hub.interval'],
      [5, 'hub.concurency'],
      [8, 'clusters[0].account'],
      [9, 'clusters[0].region'],
      [12, 'clusters[0].mapRoles[0].username'],
      [16, 'clusters[2].name'],
    ]);
    expect(issues[3]?.message).toContain('did you mean "concurrency"?');
    expect(issues[7]?.message).toContain('duplicate cluster: clusters[1] already names c1');
  });

  it('bounds the durations: interval 10s–24h, requestTimeout 1s–5m', () => {
    const text = (line: string): string =>
      `apiVersion: eks-auth-hub/v1\nhub:\n  roleName: spoke\n  ${line}\nclusters:\n  - name: c1\n    account: "111122223333"\n    region: eu-west-1\n`;
    expect(issuesOf(text('interval: 5s')).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'hub.interval: interval must be between 10s and 24h',
    ]);
    expect(issuesOf(text('requestTimeout: 10m')).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'hub.requestTimeout: requestTimeout must be between 1s and 5m',
    ]);
    expect(parseDesiredState(text('requestTimeout: 2s'), 'x.yaml').hub).toMatchObject({ requestTimeout: '2s', requestTimeoutMs: 2_000 });
  });

  it('takes hub.passTimeout as written (1s–24h), else the interval, at least a minute', () => {
    const text = (lines: string): string =>
      `apiVersion: eks-auth-hub/v1\nhub:\n  roleName: spoke\n${lines}clusters:\n  - name: c1\n    account: "111122223333"\n    region: eu-west-1\n`;
    const hub = (lines: string): unknown => parseDesiredState(text(lines), 'x.yaml').hub;
    expect(hub('  passTimeout: 90s\n')).toMatchObject({ passTimeout: '90s', passTimeoutMs: 90_000 });
    expect(hub('')).toMatchObject({ passTimeout: '10m', passTimeoutMs: 600_000 });
    expect(hub('  interval: 1h30m\n')).toMatchObject({ passTimeout: '1h30m', passTimeoutMs: 5_400_000 });
    expect(hub('  interval: 10s\n')).toMatchObject({ passTimeout: '1m', passTimeoutMs: 60_000 });
    expect(issuesOf(text('  passTimeout: 25h\n')).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'hub.passTimeout: passTimeout must be between 1s and 24h',
    ]);
    expect(issuesOf(text('  passTimeout: soon\n')).map((i) => i.path)).toEqual(['hub.passTimeout']);
  });

  it('names the cluster when a default does not fit it', () => {
    const head = `${HEAD}defaults:
  mapRoles:
    - rolearn: arn:aws:iam::$ACCOUNTID:role/ci
      username: ci
`;
    const text = withCluster('', head).replace('region: eu-west-1', 'region: cn-north-1');
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('defaults.mapRoles[0].rolearn');
    expect(issue?.message).toContain('(for cluster c1)');
  });

  it('a missing key points at its parent and says what is allowed', () => {
    const issues = issuesOf('apiVersion: eks-auth-hub/v1\nclusters: []\n');
    expect(issues.map((i) => `${formatConfigIssue(i)}`)).toEqual([
      'hub.yaml:1:1: hub: required: a mapping with roleName and optional externalId, sessionName, interval, requestTimeout, passTimeout, concurrency, guard',
      'hub.yaml:2:11: clusters: required: at least one cluster',
    ]);
  });
});

describe('loadDesiredState: hostile YAML', () => {
  it.each([
    ['an empty file', '', 'the file is empty'],
    ['only comments', '# nothing\n', 'the file is empty'],
    ['a list at the top', '- a\n- b\n', 'expected a mapping with apiVersion, hub and clusters'],
    ['two documents', `${HEAD}---\n${HEAD}`, 'YAML: a second document starts here; the file must hold exactly one YAML document'],
    ['a duplicate key', `${HEAD}hub:\n  roleName: x\n`, 'YAML: the key "hub" appears twice in the same mapping'],
    ['broken YAML', 'apiVersion: [unclosed\n', 'YAML:'],
    ['a tab indent', 'hub:\n\troleName: x\n', 'YAML:'],
    ['an unknown tag', `${HEAD}clusters: !weird []\n`, 'YAML: the tag !weird is not supported here'],
  ])('%s', (_name, text, fragment) => {
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(
      issues.some((i) => i.message.includes(fragment)),
      JSON.stringify(issues),
    ).toBe(true);
    for (const issue of issues) expect(issue.location.line).toBeGreaterThanOrEqual(1);
  });

  // The library notices an unclosed quote or bracket where the text ends; the loader points at where it opens.
  it.each([
    ['a double quote', `${HEAD}clusters:\n  - name: "c1\n    account: x\n`, '5:11', 'this " opens a quoted string that is never closed'],
    ['a single quote', `${HEAD}clusters:\n  - name: 'it''s\n    account: x\n`, '5:11', "this ' opens a quoted string that is never closed"],
    ['an escaped double quote', `${HEAD}clusters:\n  - name: "c1\\"\n`, '5:11', 'its closing " is missing'],
    [
      'a [ list',
      `${HEAD}clusters: [a, b\nother: 1\n`,
      '4:11',
      'this [ opens a list that is not closed: it must end with a ], and every line',
    ],
    [
      'a { mapping',
      `${HEAD}clusters: {a: 1\nother: 1\n`,
      '4:11',
      'this { opens a mapping that is not closed: it must end with a }, and every line',
    ],
    ['the outer of two lists', `${HEAD}clusters: [[a], b\n`, '4:11', 'this [ opens a list that is not closed'],
    ['a ] closed too little indented', 'hub:\n  roleName: [a,\n  b]\n', '2:13', 'indented more than the key it belongs to'],
    ['a [ closed by a }', 'apiVersion: [a, b}\n', '1:13', 'this [ opens a list that is not closed'],
    [
      'a JSON document without its last }',
      '{"apiVersion": "eks-auth-hub/v1",\n "hub": {"roleName": "x"}\n',
      '1:1',
      'this { opens a mapping that is not closed: it must end with a }',
    ],
  ])('an unclosed quote or bracket is reported where it opens: %s', (_name, text, at, fragment) => {
    const found = issuesOf(text).find((i) => i.message.includes(fragment));
    expect(found, JSON.stringify(issuesOf(text))).toBeDefined();
    expect(`${found?.location.line}:${found?.location.column}`).toBe(at);
  });

  it('refuses an alias bomb without expanding it, at the alias that goes over the limit', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const issues = issuesOf(`${lines.join('\n')}\n`);
    expect(issues).toHaveLength(1);
    // a1..a3 add 10 * 11 + 10 * 111 + 10 * 1111 values; the 9th *a3 on line 5 passes 100000
    expect(issues[0]).toEqual({
      location: { file: 'hub.yaml', line: 5, column: 45 },
      path: '',
      message:
        'YAML: with the alias *a3, aliases repeat more than 100000 values; write the values out or use fewer aliases (is this an alias bomb?)',
    });
  });

  it('refuses a file over the size limit before parsing it', () => {
    const [issue] = issuesOf(`${HEAD}# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    expect(issue?.message).toMatch(/at most 1048576 bytes/);
  });

  it.each([
    ['flow lists', (depth: number) => `x: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, 1, 66],
    ['unclosed flow lists', (depth: number) => `x: ${'['.repeat(depth)}\n`, 1, 66],
    ['flow mappings', (depth: number) => `x: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`, 1, 252],
    ['compact block lists', (depth: number) => `${'- '.repeat(depth)}x\n`, 1, 127],
    [
      'indented block mappings',
      (depth: number) => Array.from({ length: Math.min(depth, 200) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'),
      64,
      64,
    ],
  ])('refuses deep nesting (%s) where it goes past the limit, without exhausting the stack', (_name, make, line, column) => {
    const issues = issuesOf(make(20_000));
    expect(issues).toEqual([
      {
        location: { file: 'hub.yaml', line, column },
        path: '',
        message: `lists and mappings are nested more than ${MAX_NESTING} levels deep here; the file is not read further`,
      },
    ]);
  });

  it('throws a ConfigError with every issue from parseDesiredState', () => {
    expect(() => parseDesiredState('apiVersion: 1\n', 'f.yaml')).toThrow(ConfigError);
    try {
      parseDesiredState('apiVersion: 1\n', 'f.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const e = error as ConfigError;
      expect(e.kind).toBe('user');
      expect(e.code).toBe('config.invalid');
      expect(e.message).toContain('f.yaml:1:13: apiVersion: expected "eks-auth-hub/v1"; got number 1');
    }
  });
});

describe('loadDesiredState: text that is not what it looks like', () => {
  const one = (text: string | Uint8Array): ConfigIssue => {
    const result = loadDesiredState(text, 'hub.yaml');
    if (result.ok) throw new Error('expected the file to be refused');
    expect(result.error.issues).toHaveLength(1);
    return result.error.issues[0] as ConfigIssue;
  };
  const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
  const valid = withCluster('mapRoles:\n  - permissionset: Admin\n    username: admin\n    groups: [system:masters]');

  it('accepts one leading UTF-8 byte-order mark, in text and in bytes', () => {
    expect(loadDesiredState(`\ufeff${valid}`, 'hub.yaml').ok).toBe(true);
    expect(loadDesiredState(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(valid)]), 'hub.yaml').ok).toBe(true);
    expect(loadDesiredState(utf8(valid), 'hub.yaml').ok).toBe(true);
  });

  it('refuses bytes that are not UTF-8 where the first one is', () => {
    const latin1 = utf8(valid.replace('username: admin', 'username: jos?'));
    latin1[latin1.indexOf(0x3f)] = 0xe9; // "josé" saved as Latin-1
    expect(one(latin1)).toEqual({
      location: { file: 'hub.yaml', line: 10, column: 22 },
      path: '',
      message: `the file is not UTF-8 text: byte 0xE9 at byte offset ${valid.indexOf('admin\n') + 3} is not part of a UTF-8 character; save the file as UTF-8`,
    });
    // A real U+FFFD before it is text, not the bad byte.
    const withReplacement = utf8(`# \ufffd\n${valid.replace('username: admin', 'username: jos?')}`);
    withReplacement[withReplacement.lastIndexOf(0x3f)] = 0xe9;
    expect(one(withReplacement).location).toEqual({ file: 'hub.yaml', line: 11, column: 22 });
  });

  it('refuses UTF-16 with its byte-order mark', () => {
    expect(one(new Uint8Array([0xff, 0xfe, 0x61, 0x00])).message).toBe(
      'the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8',
    );
  });

  it.each([
    [
      'NUL in a comment',
      `${valid}# a\u0000b\n`,
      12,
      4,
      'the control character U+0000, which YAML text may not hold: a YAML file holds only printable text (is this a binary file?)',
    ],
    [
      'a right-to-left override in a comment',
      `# \u202eevil\n${valid}`,
      1,
      3,
      'the bidirectional control character U+202E, which YAML text may not hold: it makes the text display in another order',
    ],
    [
      'a line separator',
      valid.replace('\nhub:', '\u2028hub:'),
      1,
      28,
      'the line separator U+2028, which YAML text may not hold: YAML does not break lines there',
    ],
    [
      'old Mac line endings',
      valid.replace(/\n/g, '\r'),
      1,
      28,
      'a carriage return (U+000D) without a line feed: save the file with LF or CRLF line endings',
    ],
  ])('refuses %s anywhere in the file, located', (_name, text, line, column, fragment) => {
    const issue = one(text);
    expect(issue.location).toEqual({ file: 'hub.yaml', line, column });
    expect(issue.message).toContain(fragment);
  });

  it('shows invisible characters of keys and values escaped, never raw', () => {
    const issue = one(withCluster('"perm\\u001bission\\u200bset": x'));
    expect(issue.path).toBe('clusters[0].perm\\u001Bission\\u200Bset');
    expect(issue.message).toContain('unknown key "perm\\u001Bission\\u200Bset"');
    const value = one(withCluster('mapRoles:\n  - permissionset: "Admin\\x85"\n    username: a'));
    expect(value.message).toContain('got "Admin\\u0085"');
  });

  it.each([
    ['a zero-width space', 'ad\\u200Bmin', 'the invisible character U+200B'],
    ['a right-to-left override', 'ad\\u202Emin', 'the bidirectional control character U+202E'],
    ['a newline', 'ad\\nmin', 'the control character U+000A'],
  ])('refuses %s in a username, even escaped', (_name, escaped, fragment) => {
    const issue = one(withCluster(`mapRoles:\n  - permissionset: Admin\n    username: "${escaped}"`));
    expect(issue.path).toBe('clusters[0].mapRoles[0].username');
    expect(issue.message).toBe(`username contains ${fragment}; only printable characters are allowed`);
  });

  it('cuts long text taken from the file', () => {
    const issue = one(withCluster(`? "${'k'.repeat(5000)}"\n: x`));
    expect(issue.path.length).toBeLessThanOrEqual(120);
    expect(issue.message.length).toBeLessThanOrEqual(300);
    expect(issue.message).toMatch(/^unknown key "k{57}\.\.\."; allowed keys here: name, account/);
  });

  it.each([
    ['system:master', ' (did you mean "system:masters"?)', ''],
    ['System:Masters', ' (did you mean "system:masters"?)', ''],
    [
      'system:admins',
      '',
      ': system:masters, system:nodes, system:bootstrappers, system:node-proxier, system:authenticated, system:unauthenticated, system:serviceaccounts, system:monitoring, system:serviceaccounts:<namespace>',
    ],
  ])('refuses the group %s: the system: prefix belongs to Kubernetes', (group, hint, known) => {
    const issue = one(withCluster(`mapRoles:\n  - permissionset: Admin\n    username: admin\n    groups: ["${group}"]`));
    expect(issue.path).toBe('clusters[0].mapRoles[0].groups[0]');
    expect(issue.message).toBe(`"${group}" is not one of Kubernetes' own groups, which alone may use the system: prefix${hint}${known}`);
  });

  it('accepts Kubernetes groups and service-account groups of a namespace', () => {
    const groups = '[system:masters, system:nodes, system:authenticated, "system:serviceaccounts:team-a", eks:kube-proxy-windows]';
    expect(
      loadDesiredState(withCluster(`mapRoles:\n  - permissionset: Admin\n    username: admin\n    groups: ${groups}`), 'hub.yaml').ok,
    ).toBe(true);
  });
});

describe('loadDesiredState: YAML features the file does not use', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses a list as a key where it stands, without a process warning', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const issues = issuesOf(`${HEAD}clusters: []\n? [a, b]\n: x\n`);
    expect(issues.filter((i) => i.path === '')).toEqual([
      {
        location: { file: 'hub.yaml', line: 5, column: 3 },
        path: '',
        message:
          'YAML: a key must be a plain name, not a list, a mapping or an alias (a value that starts with { or [ needs quotes, e.g. "{{SessionName}}")',
      },
    ]);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each([
    ['!!binary', 'roleName: !!binary aGVsbG8=', 13],
    ['!!timestamp', 'roleName: !!timestamp 2001-12-14', 13],
    ['!!set', 'roleName: !!set {a, b}', 13],
    ['!!omap', 'roleName: !!omap [a: 1]', 13],
  ])('names the unsupported tag %s instead of reading it as a mapping', (tag, line, column) => {
    const issues = issuesOf(HEAD.replace('roleName: eks-auth-hub-spoke', line));
    expect(issues[0]).toEqual({
      location: { file: 'hub.yaml', line: 3, column },
      path: '',
      message: `YAML: the tag ${tag} is not supported here; write a plain string, number, true/false, null, list or mapping`,
    });
  });

  it('reads YAML 1.2 even under a %YAML 1.1 directive: no yes/no booleans, no timestamps', () => {
    const issue = issuesOf(`%YAML 1.1\n---\n${withCluster('inheritDefaults: yes')}`)[0];
    expect(issue?.path).toBe('clusters[0].inheritDefaults');
    expect(issue?.message).toBe('expected true or false; got "yes"');
  });

  it('locates an alias without an anchor, and one inside its own value', () => {
    expect(issuesOf(`${HEAD}clusters: *nope\n`)).toEqual([
      {
        location: { file: 'hub.yaml', line: 4, column: 11 },
        path: '',
        message: 'YAML: the alias *nope names no anchor &nope defined before it',
      },
    ]);
    expect(issuesOf(`${HEAD}clusters: &c [*c]\n`)).toEqual([
      {
        location: { file: 'hub.yaml', line: 4, column: 15 },
        path: '',
        message: 'YAML: the alias *c is inside the value it names, which would never end',
      },
    ]);
  });

  it('accepts a group list shared through an alias by many clusters', () => {
    const clusters = Array.from(
      { length: 150 },
      (_, i) =>
        `  - name: c${i}\n    account: "111122223333"\n    region: eu-west-1\n    mapRoles:\n      - permissionset: P${i}\n        username: p\n        groups: *admins\n`,
    );
    const text = `${HEAD}defaults:\n  mapRoles:\n    - permissionset: Admin\n      username: admin\n      groups: &admins [system:masters, ops]\nclusters:\n${clusters.join('')}`;
    const state = parseDesiredState(text, 'hub.yaml');
    expect(state.clusters).toHaveLength(150);
    expect(state.clusters[149]?.mapRoles[1]?.groups).toEqual(['system:masters', 'ops']);
  });

  it(`lists at most ${MAX_LISTED_ISSUES} problems in the error's message and counts the rest`, () => {
    const text = `${HEAD}clusters:\n${Array.from({ length: 100 }, (_, i) => `  - {name: c${i}, account: "1", region: eu-west-1}\n`).join('')}`;
    const result = loadDesiredState(text, 'hub.yaml');
    if (result.ok) throw new Error('expected the file to be refused');
    expect(result.error.issues).toHaveLength(100);
    const lines = result.error.message.split('\n');
    expect(lines[0]).toBe('hub.yaml: 100 problems');
    expect(lines).toHaveLength(1 + MAX_LISTED_ISSUES + 1);
    expect(lines.at(-1)).toBe(`hub.yaml: ... and ${100 - MAX_LISTED_ISSUES} more problems after these`);
  });
});
