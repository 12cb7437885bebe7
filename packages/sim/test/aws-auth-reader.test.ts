/**
 * aws-auth as the simulated API servers read it for authorisation, kept by the text of each key:
 * the same text is read once, every write that changes it is read anew (an edit that drops a
 * mapping locks the caller out at once), answers are those of a reader that keeps nothing, and the
 * reader keeps no more than its bounds.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Identity } from '../src/authenticator.js';
import { AwsAuthReader, authorise, type Mapping, mapIdentity, readList } from '../src/aws-auth-reader.js';
import { World } from '../src/world.js';
import type { Cluster } from '../src/world-model.js';
import { worldSchema } from '../src/world-schema.js';

const ACCOUNT = '111122223333';
const role = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const entry = (arn: string, username: string, groups: readonly string[]): string =>
  `- rolearn: ${arn}\n  username: ${username}\n  groups:\n${groups.map((g) => `    - ${g}\n`).join('')}`;

function world(): World {
  return new World(
    worldSchema.parse({
      apiVersion: 'eks-auth-hub-sim/v1',
      management: {
        account: '999900000000',
        principal: { userName: 'hub', accessKeyId: 'AKIAHUB0000000000000', secretAccessKey: 'hubSecretKeyForTheAwsAuthReaderTests0000' },
      },
      accounts: [{ id: ACCOUNT, clusters: [{ name: 'prod', region: 'eu-west-1', creator: role('creator') }] }],
    }),
  );
}

/** mapIdentity as it was before the reader kept anything: every list read and searched on every call (mapAccounts here has no byte-order mark, CR or tab, which libyaml's reading would change). */
function referenceMapIdentity(cluster: Cluster, identity: Identity): Mapping | undefined {
  const configMap = cluster.configMaps.get('kube-system/aws-auth');
  if (configMap === undefined) return undefined;
  const arn = identity.arn.toLowerCase();
  const find = (key: string, arnField: string): Mapping | undefined => {
    let found: Mapping | undefined;
    for (const fields of readList(configMap.data[key])) {
      const entryArn = fields[arnField];
      if (typeof entryArn !== 'string' || entryArn.toLowerCase() !== arn) continue;
      const username = fields['username'] ?? '';
      const groups = fields['groups'] ?? [];
      if (typeof username !== 'string' || !Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) continue;
      found = { username, groups: groups as string[] };
    }
    return found;
  };
  const role = find('mapRoles', 'rolearn');
  if (role !== undefined) return role;
  const user = find('mapUsers', 'userarn');
  if (user !== undefined) return user;
  let accounts: unknown;
  try {
    accounts = parse(configMap.data['mapAccounts'] ?? '[]', { version: '1.1' });
  } catch {
    accounts = [];
  }
  if (Array.isArray(accounts) && accounts.map(String).includes(identity.account)) return { username: identity.arn, groups: [] };
  return undefined;
}

function caller(name: string): Identity {
  return { arn: role(name), account: ACCOUNT, userId: `AROA:${name}`, accessKeyId: 'ASIA', sessionName: 's' };
}

describe('aws-auth reader', () => {
  it('reads a text once, however many requests it answers', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', {
      data: { mapRoles: entry(role('admin'), 'admin', ['system:masters']) + entry(role('viewer'), 'viewer', ['viewers']) },
    });
    const reader = new AwsAuthReader();
    for (let i = 0; i < 100; i++) {
      expect(authorise(cluster, caller('admin'), reader)).toEqual({ status: 200 });
      expect(authorise(cluster, caller('viewer'), reader)).toEqual({ status: 403, reason: 'viewer is not in system:masters' });
      expect(authorise(cluster, caller('stranger'), reader)).toEqual({ status: 401, reason: 'Unauthorized' });
    }
    // mapRoles once; mapAccounts (absent: "[]") once, for the stranger.
    expect(reader.reads).toBe(2);
  });

  it('reads every changed text anew: a mapping dropped or demoted takes effect on the next request', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    const reader = new AwsAuthReader();
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: entry(role('admin'), 'admin', ['system:masters']) } });
    expect(authorise(cluster, caller('admin'), reader).status).toBe(200);
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: entry(role('admin'), 'admin', ['viewers']) } });
    expect(authorise(cluster, caller('admin'), reader).status).toBe(403);
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: '' } });
    expect(authorise(cluster, caller('admin'), reader).status).toBe(401);
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', {
      data: { mapRoles: entry(role('admin'), 'admin', ['system:masters']), mapAccounts: `- "${ACCOUNT}"\n` },
    });
    expect(mapIdentity(cluster, caller('stranger'), reader)).toEqual({ username: role('stranger'), groups: [] });
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: entry(role('admin'), 'admin', ['system:masters']) } });
    expect(mapIdentity(cluster, caller('stranger'), reader)).toBeUndefined();
    cluster.configMaps.delete('kube-system/aws-auth');
    expect(authorise(cluster, caller('admin'), reader).status).toBe(401);
  });

  it('keeps the authenticator’s rules: ARNs without case, the last valid entry wins, an invalid one does not count', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    const reader = new AwsAuthReader();
    const mapRoles =
      entry(role('Admin'), 'first', ['system:masters']) +
      entry(role('ADMIN'), 'second', ['viewers']) +
      `- rolearn: ${role('admin')}\n  username: [not, a, string]\n` +
      `- rolearn: ${role('other')}\n  username: other\n  groups: viewers\n`;
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', {
      data: { mapRoles, mapUsers: `- userarn: arn:aws:iam::${ACCOUNT}:user/alice\n  username: alice\n  groups: [system:masters]\n` },
    });
    expect(mapIdentity(cluster, caller('admin'), reader)).toEqual({ username: 'second', groups: ['viewers'] });
    expect(mapIdentity(cluster, caller('other'), reader)).toBeUndefined();
    const alice: Identity = {
      arn: `arn:aws:iam::${ACCOUNT}:user/Alice`,
      account: ACCOUNT,
      userId: 'AIDA',
      accessKeyId: 'AKIA',
      sessionName: undefined,
    };
    expect(mapIdentity(cluster, alice, reader)).toEqual({ username: 'alice', groups: ['system:masters'] });
    // What it hands out cannot be changed by a caller (it is shared between requests).
    const mapping = mapIdentity(cluster, caller('admin'), reader);
    expect(Object.isFrozen(mapping)).toBe(true);
    expect(Object.isFrozen(mapping?.groups)).toBe(true);
  });

  it('answers as a reader that keeps nothing, over any sequence of edits and lookups', () => {
    const names = ['a', 'b', 'c'];
    const entryArb = fc.record({
      name: fc.constantFrom(...names, 'A'),
      username: fc.oneof(fc.constantFrom('u1', 'u2'), fc.constant('[1, 2]')),
      groups: fc.subarray(['system:masters', 'viewers', 'g', '7']),
    });
    const stepArb = fc.oneof(
      fc.record({ edit: fc.array(entryArb, { maxLength: 4 }), accounts: fc.boolean(), tab: fc.boolean() }),
      fc.record({ lookup: fc.constantFrom(...names, 'z') }),
      fc.record({ remove: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const w = world();
        const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
        const shared = new AwsAuthReader({ maxEntries: 3 });
        for (const step of steps) {
          if ('edit' in step) {
            const mapRoles = step.edit
              .map(
                (e) => `- rolearn: ${role(e.name)}\n  username: ${e.username}\n  groups:${step.tab ? '\t' : ' '}[${e.groups.join(', ')}]\n`,
              )
              .join('');
            w.putConfigMap(cluster, 'kube-system', 'aws-auth', {
              data: { mapRoles, ...(step.accounts ? { mapAccounts: `- "${ACCOUNT}"\n` } : {}) },
            });
          } else if ('remove' in step) {
            cluster.configMaps.delete('kube-system/aws-auth');
          } else {
            const who = caller(step.lookup);
            const expected = referenceMapIdentity(cluster, who);
            expect(mapIdentity(cluster, who, shared)).toEqual(expected);
            expect(mapIdentity(cluster, who, new AwsAuthReader())).toEqual(expected);
            expect(authorise(cluster, who, shared)).toEqual(authorise(cluster, who, new AwsAuthReader()));
          }
        }
        expect(shared.size).toBeLessThanOrEqual(6);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps at most its entries and characters, and forgets on clear', () => {
    const reader = new AwsAuthReader({ maxEntries: 3, maxChars: 10_000 });
    const texts = Array.from({ length: 10 }, (_, i) => entry(role(`r${i}`), `u${i}`, ['system:masters']));
    for (const text of texts) expect(reader.find(text, 'rolearn', role(`r${texts.indexOf(text)}`))).toBeDefined();
    expect(reader.size).toBeLessThanOrEqual(3);
    const reads = reader.reads;
    reader.find(texts[9], 'rolearn', role('r9'));
    expect(reader.reads).toBe(reads);
    reader.find(texts[0], 'rolearn', role('r0'));
    expect(reader.reads).toBe(reads + 1);
    // A text larger than the whole budget is read for each request and not kept.
    const big = `${entry(role('big'), 'big', ['system:masters'])}# ${'x'.repeat(20_000)}\n`;
    expect(reader.find(big, 'rolearn', role('big'))?.username).toBe('big');
    expect(reader.find(big, 'rolearn', role('big'))?.username).toBe('big');
    expect(reader.reads).toBe(reads + 3);
    reader.clear();
    expect(reader.size).toBe(0);
  });
});

describe("aws-auth read with go-yaml v2's resolver", () => {
  const octal = (quote: string): string =>
    `- rolearn: ${role('octal')}\n  username: ${quote}0o17${quote}\n  groups:\n    - ${quote}0X1F${quote}\n    - ${quote}0B101${quote}\n    - ${quote}+0O7${quote}\n    - ${quote}-0o7${quote}\n`;

  it('maps an unquoted 0o17 username and 0X1F/0B101/+0O7 groups as empty strings, as Go decodes numbers into string fields', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: octal('') } });
    expect(mapIdentity(cluster, caller('octal'), new AwsAuthReader())).toEqual({ username: '', groups: ['', '', '', ''] });
  });

  it('maps the same values quoted as the strings they are', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: octal('"') } });
    expect(mapIdentity(cluster, caller('octal'), new AwsAuthReader())).toEqual({
      username: '0o17',
      groups: ['0X1F', '0B101', '+0O7', '-0o7'],
    });
  });

  it('drops the whole key when a value is an infinite float or a key is null (JSON has neither)', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    for (const odd of [`- rolearn: ${role('x')}\n  username: .inf\n`, `- rolearn: ${role('x')}\n  ~: y\n`]) {
      w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapRoles: entry(role('admin'), 'admin', ['system:masters']) + odd } });
      expect(authorise(cluster, caller('admin'), new AwsAuthReader())).toEqual({ status: 401, reason: 'Unauthorized' });
    }
  });

  it('reads mapAccounts into strings as written: an unquoted account keeps its leading zero', () => {
    const w = world();
    const cluster = w.cluster(ACCOUNT, 'eu-west-1', 'prod');
    w.putConfigMap(cluster, 'kube-system', 'aws-auth', { data: { mapAccounts: '- 011122223333\n' } });
    const stranger: Identity = { ...caller('stranger'), account: '011122223333' };
    expect(mapIdentity(cluster, stranger, new AwsAuthReader())).toEqual({ username: stranger.arn, groups: [] });
  });
});
