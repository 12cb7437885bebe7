import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssue, loadDesiredState, parseDesiredState, MAX_FILE_BYTES, type ConfigIssue } from '../src/index.js';

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
    const text = (line: string): string => `apiVersion: eks-auth-hub/v1\nhub:\n  roleName: spoke\n  ${line}\nclusters:\n  - name: c1\n    account: "111122223333"\n    region: eu-west-1\n`;
    expect(issuesOf(text('interval: 5s')).map((i) => `${i.path}: ${i.message}`)).toEqual(['hub.interval: interval must be between 10s and 24h']);
    expect(issuesOf(text('requestTimeout: 10m')).map((i) => `${i.path}: ${i.message}`)).toEqual(['hub.requestTimeout: requestTimeout must be between 1s and 5m']);
    expect(parseDesiredState(text('requestTimeout: 2s'), 'x.yaml').hub).toMatchObject({ requestTimeout: '2s', requestTimeoutMs: 2_000 });
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
      'hub.yaml:1:1: hub: required: a mapping with roleName and optional externalId, sessionName, interval, requestTimeout, concurrency, guard',
      'hub.yaml:2:11: clusters: required: at least one cluster',
    ]);
  });
});

describe('loadDesiredState: hostile YAML', () => {
  it.each([
    ['an empty file', '', 'the file is empty'],
    ['only comments', '# nothing\n', 'the file is empty'],
    ['a list at the top', '- a\n- b\n', 'expected a mapping with apiVersion, hub and clusters'],
    ['two documents', `${HEAD}---\n${HEAD}`, 'YAML: Source contains multiple documents'],
    ['a duplicate key', `${HEAD}hub:\n  roleName: x\n`, 'YAML: Map keys must be unique'],
    ['broken YAML', 'apiVersion: [unclosed\n', 'YAML:'],
    ['a tab indent', 'hub:\n\troleName: x\n', 'YAML:'],
    ['an unknown tag', `${HEAD}clusters: !weird []\n`, 'YAML: Unresolved tag: !weird'],
  ])('%s', (_name, text, fragment) => {
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((i) => i.message.includes(fragment)), JSON.stringify(issues)).toBe(true);
    for (const issue of issues) expect(issue.location.line).toBeGreaterThanOrEqual(1);
  });

  it('refuses an alias bomb without expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const [issue] = issuesOf(`${lines.join('\n')}\n`);
    expect(issue?.message).toMatch(/cannot be turned into data: .*alias/i);
  });

  it('refuses a file over the size limit before parsing it', () => {
    const [issue] = issuesOf(`${HEAD}# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    expect(issue?.message).toMatch(/at most 1048576 bytes/);
  });

  it('refuses deep nesting with a message, not a crash', () => {
    const depth = 20_000;
    const issues = issuesOf(`x: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    expect(issues.length).toBeGreaterThan(0);
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
