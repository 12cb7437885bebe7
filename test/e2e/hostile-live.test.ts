/**
 * Hostile live state: `kube-system/aws-auth` objects as people and tools really leave them (broken
 * YAML in one key, wrong types, binaryData, extra keys, duplicates, paths, STS ARNs, foreign
 * system:masters, look-alike characters, alias bombs, tabs, CR/LF, a byte-order mark, 5,000 entries,
 * near-1 MiB objects, no data, `immutable: true`, foreign metadata), planted through the simulator's
 * world file as whole ConfigMaps, then real passes over the wire (the AWS SDK and client-node over
 * HTTPS). Every cluster must end exactly as design.md's rules say: refused with a typed rule and its
 * reason and left byte-identical (history included), failed with a clear reason and nothing changed,
 * or written cleanly with the oddity reported and everything the hub does not own kept — never a
 * crash, never a lockout, and the healthy clusters of the same pass still converge.
 */

import { type AwsPorts, createAwsPorts } from '@eks-auth-hub/aws';
import type { ClusterResult, PassReport } from '@eks-auth-hub/core';
import type { ConfigMapManifestInput, SimClusterRef, WorldFileInput } from '@eks-auth-hub/sim';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectConverged,
  explain,
  hubAccess,
  liveMapRoles,
  loadState,
  type MappedRole,
  mappingOf,
  pass,
  resultOf,
  useSimulator,
} from './helpers.js';

const A = '111122223333';
const B = '444455556666';
const REGION = 'eu-west-1';
const HUB_USER = 'arn:aws:iam::999988887777:user/eks-auth-hub';
const ADMIN_SUFFIX = '0123456789abcdef';
const ADMIN = `arn:aws:iam::${A}:role/AWSReservedSSO_AdministratorAccess_${ADMIN_SUFFIX}`;
const SPOKE = `arn:aws:iam::${A}:role/eks-auth-hub-spoke`;
const CI = `arn:aws:iam::${A}:role/ci-deployer`;
const WORKERS = `arn:aws:iam::${A}:role/workers`;
const MIB = 1024 * 1024;

const role = (rolearn: string, username: string, groups: readonly string[]): string =>
  `- rolearn: ${rolearn}\n  username: ${username}\n  groups:\n${groups.map((g) => `    - ${g}\n`).join('')}`;
const NODE_ENTRY = role(WORKERS, 'system:node:{{EC2PrivateDNSName}}', ['system:bootstrappers', 'system:nodes']);
const HUB_ENTRY = role(SPOKE, 'eks-auth-hub', ['system:masters']);
const ADMIN_ENTRY = role(ADMIN, 'admin:{{SessionName}}', ['system:masters']);
const CI_ENTRY = role(CI, 'ci-deployer', ['deployers']);
/** What the file asks for, minus ci-deployer: every case below has at least that to write. */
const BASE = NODE_ENTRY + HUB_ENTRY + ADMIN_ENTRY;
const ALICE = `- userarn: arn:aws:iam::${A}:user/alice\n  username: alice\n  groups:\n    - viewers\n`;
const bytes = (text: string): number => Buffer.byteLength(text);

function aliasBomb(): string {
  const lines = [`- rolearn: arn:aws:iam::${A}:role/bomb`, '  username: bomb', '  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 8; i++) lines.push(`  l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
  lines.push('  groups: *l8');
  return `${NODE_ENTRY}${lines.join('\n')}\n`;
}

/** Foreign entries in compact flow style, just under 1 MiB: the hub renders block style, which is larger. */
function nearLimitFlowMapRoles(): string {
  const lines = [NODE_ENTRY, ADMIN_ENTRY];
  let size = bytes(lines.join(''));
  for (let i = 0; ; i++) {
    const n = String(i).padStart(4, '0');
    const groups = Array.from({ length: 100 }, (_, j) => `bulk-group-${n}-${String(j).padStart(3, '0')}-xxxxxxxxxxxxxxxxx`);
    const line = `- {rolearn: arn:aws:iam::${A}:role/bulk-${n}, username: bulk-${n}, groups: [${groups.join(', ')}]}\n`;
    if (size + line.length > MIB - 200) break;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

/** 5,000 entries nobody in the file asked for. */
const BULK = Array.from({ length: 5000 }, (_, i) =>
  role(`arn:aws:iam::${A}:role/bulk-${String(i).padStart(4, '0')}`, `bulk-${i}`, [`team-${i % 50}`]),
).join('');

/** binaryData (decoded) that leaves less room than the write needs: base64 of a multiple of 3 bytes. */
const BINARY_NEAR_LIMIT_BYTES = Math.floor((MIB - bytes(BASE) - 30) / 3) * 3;

const owner = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: 'eks-bootstrap',
  uid: '6c1f3a52-0d4b-4f8e-9a51-0f6c2b7e9d11',
  blockOwnerDeletion: true,
};
const managedFields = [
  {
    manager: 'eksctl',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2025-06-01T10:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { '.': {}, 'f:mapRoles': {} } },
  },
];

type Outcome = ClusterResult['outcome'];
type Manifest = Omit<ConfigMapManifestInput, 'metadata'> & { readonly metadata?: Partial<ConfigMapManifestInput['metadata']> };

interface Case {
  readonly name: string;
  readonly ownership: 'full' | 'merge';
  /** Who created the cluster: `hub` gets in whatever aws-auth says; `terraform` makes the hub depend on its mapping. */
  readonly creator: 'hub' | 'terraform';
  readonly nodeRole?: string;
  /** The aws-auth ConfigMap as planted (name and namespace added). */
  readonly awsAuth: Manifest;
  readonly outcome: Outcome;
  /** For a refusal: its rule and what its message must say. */
  readonly refusal?: { readonly rule: string; readonly message: RegExp };
  /** For a failure: its code and what its message must say. */
  readonly failure?: { readonly code: string; readonly message: RegExp };
  /** A warning the result must carry. */
  readonly warning?: RegExp;
  readonly check?: (c: CaseContext) => void;
}

interface CaseContext {
  readonly result: ClusterResult;
  readonly roles: () => MappedRole[];
  /** The ConfigMap as a GET returns it, before and after the pass. */
  readonly before: Record<string, unknown>;
  readonly after: Record<string, unknown>;
}

const dataOf = (object: Record<string, unknown>): Record<string, string> => (object['data'] ?? {}) as Record<string, string>;
const metaOf = (object: Record<string, unknown>): Record<string, unknown> => object['metadata'] as Record<string, unknown>;

const CASES: readonly Case[] = [
  // --- Unreadable content: refused (live-unparseable), the readable key not blamed -----------------
  {
    name: 'yaml-maproles',
    ownership: 'full',
    creator: 'hub',
    awsAuth: { data: { mapRoles: `${NODE_ENTRY}- rolearn: ${CI}\n  username: "ci\n  groups: [deployers\n`, mapUsers: ALICE } },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapRoles: invalid YAML/ },
    check: ({ result }) => expect(result.refusals.filter((r) => r.message.includes('mapUsers'))).toEqual([]),
  },
  {
    name: 'yaml-mapusers',
    ownership: 'merge',
    creator: 'terraform',
    awsAuth: {
      data: {
        mapRoles: `${BASE}${role(`arn:aws:iam::${A}:role/team-x`, 'team-x', ['team-x'])}`,
        mapUsers: `- userarn: arn:aws:iam::${A}:user/bob\n  username: bob\n   groups: [x]\n`,
      },
    },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapUsers: invalid YAML/ },
    check: ({ result }) => expect(result.refusals.filter((r) => r.message.includes('mapRoles'))).toEqual([]),
  },
  {
    name: 'maproles-mapping',
    ownership: 'full',
    creator: 'hub',
    awsAuth: {
      data: {
        mapRoles: `rolearn: ${WORKERS}\nusername: system:node:{{EC2PrivateDNSName}}\ngroups: [system:bootstrappers, system:nodes]\n`,
      },
    },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapRoles: expected a YAML list of mappings$/ },
  },
  {
    name: 'rolearn-number',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}- rolearn: 123456789012\n  username: numbers\n  groups:\n    - system:masters\n` } },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapRoles\[3\]: rolearn is not a string$/ },
  },
  {
    name: 'username-boolean',
    ownership: 'full',
    creator: 'terraform',
    // YAML 1.1 (the authenticator's) reads `yes` as true.
    awsAuth: { data: { mapRoles: `${BASE}${role(`arn:aws:iam::${A}:role/yes-man`, 'yes', ['viewers'])}` } },
    outcome: 'blocked',
    // go-yaml v2 reads `yes` as true; Go's JSON decoding leaves the username empty. The file does not
    // map yes-man, so the hub will not rewrite that entry as the authenticator sees it.
    refusal: {
      rule: 'live-unparseable',
      message:
        /^live aws-auth mapRoles\[3\]: username yes is not a string to the authenticator: unquoted, it reads as the boolean true, so rolearn \S+\/yes-man has an empty username$/,
    },
  },
  {
    name: 'groups-not-strings',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}- rolearn: arn:aws:iam::${A}:role/team-y\n  username: team-y\n  groups: [1234, on]\n` } },
    outcome: 'blocked',
    // Each group go-yaml reads as a number or boolean is empty to the authenticator: one refusal each.
    refusal: {
      rule: 'live-unparseable',
      message: /^live aws-auth mapRoles\[3\]: group 1234 is not a string to the authenticator: unquoted, it reads as the integer 1234, /,
    },
    check: ({ result }) =>
      expect(
        result.refusals.some((r) =>
          r.message.includes('group on is not a string to the authenticator: unquoted, it reads as the boolean true'),
        ),
      ).toBe(true),
  },
  {
    name: 'null-entry',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}- null\n` } },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapRoles\[3\]: entry is not a mapping$/ },
  },
  {
    name: 'empty-rolearn',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}- rolearn: ""\n  username: ""\n  groups: []\n` } },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapRoles\[3\]: entry has no rolearn$/ },
  },
  {
    name: 'key-case',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: BASE, MapRoles: role(`arn:aws:iam::${A}:role/team-q`, 'team-q', ['system:masters']) } },
    outcome: 'blocked',
    refusal: {
      rule: 'live-unparseable',
      message: /^live aws-auth MapRoles: key "MapRoles" is not read by the authenticator; it expects "mapRoles"$/,
    },
  },
  {
    name: 'alias-bomb',
    ownership: 'full',
    creator: 'hub',
    awsAuth: { data: { mapRoles: aliasBomb() } },
    outcome: 'blocked',
    refusal: { rule: 'live-unparseable', message: /^live aws-auth mapRoles: invalid YAML: .*alias/i },
  },
  {
    name: 'tab-after-colon',
    ownership: 'full',
    // libyaml refuses the tab, so the authenticator drops every role mapping: only the creator gets in.
    creator: 'hub',
    awsAuth: {
      data: { mapRoles: `${NODE_ENTRY}${HUB_ENTRY}- rolearn: ${ADMIN}\n  username:\tadmin:{{SessionName}}\n  groups: [system:masters]\n` },
    },
    outcome: 'blocked',
    refusal: {
      rule: 'live-unparseable',
      message: /^live aws-auth mapRoles: invalid YAML for the authenticator: a tab at line 11, column 12;/,
    },
  },
  {
    name: 'binary-maproles',
    ownership: 'full',
    // The authenticator reads no binaryData: nobody is mapped, only the creator gets in.
    creator: 'hub',
    awsAuth: { data: { mapUsers: ALICE }, binaryData: { mapRoles: Buffer.from(BASE).toString('base64') } },
    outcome: 'blocked',
    refusal: {
      rule: 'live-unparseable',
      message:
        /^live aws-auth binaryData\.mapRoles: the authenticator reads mapRoles only from data, and the API server refuses data\.mapRoles while binaryData holds that key/,
    },
    warning: /binaryData \(mapRoles\); the authenticator reads only data/,
  },
  // --- Too large to write: refused before anything is sent ----------------------------------------
  {
    name: 'near-1mib-flow',
    ownership: 'merge',
    creator: 'hub',
    awsAuth: { data: { mapRoles: nearLimitFlowMapRoles() } },
    outcome: 'blocked',
    refusal: {
      rule: 'render-invalid',
      message:
        /^the written aws-auth would hold \d+ bytes of data \(mapRoles \d+, kept keys and binaryData 0\); the API server accepts at most 1048576$/,
    },
  },
  {
    name: 'binary-near-1mib',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: BASE }, binaryData: { 'bundle.bin': Buffer.alloc(BINARY_NEAR_LIMIT_BYTES, 7).toString('base64') } },
    outcome: 'blocked',
    refusal: {
      rule: 'render-invalid',
      message: new RegExp(`kept keys and binaryData ${BINARY_NEAR_LIMIT_BYTES}\\); the API server accepts at most 1048576$`),
    },
  },
  // --- Removals the guard stops -------------------------------------------------------------------
  {
    name: 'path-mass',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: {
      data: { mapRoles: `${BASE}${['a', 'b', 'c', 'd'].map((t) => role(`arn:aws:iam::${A}:role/teams/${t}`, t, [`team-${t}`])).join('')}` },
    },
    outcome: 'blocked',
    refusal: { rule: 'mass-removal', message: /^the write would remove 4 of 7 live entries \(57%\); the limit is 50%$/ },
    warning: /rolearn arn:aws:iam::111122223333:role\/teams\/a carries a path; the authenticator never matches it/,
  },
  {
    name: 'bulk-5000-full',
    ownership: 'full',
    creator: 'hub',
    awsAuth: { data: { mapRoles: `${BASE}${BULK}` } },
    outcome: 'blocked',
    refusal: { rule: 'mass-removal', message: /^the write would remove 5000 of 5003 live entries/ },
  },
  // --- The API server would refuse any change: failed, nothing changed ----------------------------
  {
    name: 'immutable',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: BASE }, immutable: true },
    outcome: 'failed',
    failure: {
      code: 'kube.immutable',
      message: /^kube-system\/aws-auth of immutable is immutable \(immutable: true\): the API server refuses any change to its data/,
    },
  },
  // --- Handled: written cleanly, the oddity reported ----------------------------------------------
  {
    name: 'binary-data',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: {
      data: { mapRoles: BASE },
      binaryData: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]).toString('base64') },
    },
    outcome: 'applied',
    warning: /^live aws-auth has binaryData \(logo\.png\); the authenticator reads only data, and the hub keeps binaryData as it is$/,
    check: ({ roles, before, after }) => {
      expect(after['binaryData']).toEqual(before['binaryData']);
      expect(mappingOf(roles(), CI)?.groups).toEqual(['deployers']);
    },
  },
  {
    name: 'extra-data-keys',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: {
      data: {
        mapRoles: BASE,
        'notes.md': '# who to ask\nplatform team\n',
        'config.json': '{"mapGroups": [1, 2]}',
        mapGroups: '- not: read\n',
      },
    },
    outcome: 'applied',
    check: ({ after, before }) => {
      for (const key of ['notes.md', 'config.json', 'mapGroups']) expect(dataOf(after)[key], key).toBe(dataOf(before)[key]);
    },
  },
  {
    name: 'near-1mib-fits',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: BASE, 'notes.txt': 'n'.repeat(MIB - bytes(BASE) - 2_000) } },
    outcome: 'applied',
    check: ({ after, before }) => {
      expect(dataOf(after)['notes.txt']).toBe(dataOf(before)['notes.txt']);
      const total = Object.values(dataOf(after)).reduce((sum, v) => sum + bytes(v), 0);
      expect(total).toBeGreaterThan(MIB - 2_000);
      expect(total).toBeLessThanOrEqual(MIB);
    },
  },
  {
    name: 'foreign-metadata',
    ownership: 'merge',
    creator: 'terraform',
    awsAuth: {
      metadata: {
        labels: { 'app.kubernetes.io/managed-by': 'eksctl', team: 'platform' },
        annotations: {
          'owner.example.com/team': 'platform',
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"}}\n',
        },
        ownerReferences: [owner],
        finalizers: ['example.com/audit'],
        managedFields,
      },
      data: { mapRoles: BASE },
    },
    outcome: 'applied',
    check: ({ after, before }) => {
      const [a, b] = [metaOf(after), metaOf(before)];
      expect(a['labels']).toEqual(b['labels']);
      for (const [key, value] of Object.entries(b['annotations'] as Record<string, string>))
        expect((a['annotations'] as Record<string, string>)[key], key).toBe(value);
      expect(Object.keys(a['annotations'] as object).some((k) => k.startsWith('eks-auth-hub.io/'))).toBe(true);
      expect(a['ownerReferences']).toEqual([owner]);
      expect(a['finalizers']).toEqual(['example.com/audit']);
      expect(a['managedFields']).toEqual(managedFields);
      expect(a['uid']).toBe(b['uid']);
    },
  },
  {
    name: 'duplicate-exact',
    ownership: 'merge',
    creator: 'terraform',
    awsAuth: {
      data: {
        mapRoles: `${BASE}${role(`arn:aws:iam::${A}:role/team-a`, 'team-a-old', ['old-group'])}${role(`arn:aws:iam::${A}:role/team-a`, 'team-a', ['team-a'])}`,
      },
    },
    outcome: 'applied',
    warning: /rolearn arn:aws:iam::111122223333:role\/team-a is mapped more than once; the authenticator uses the last entry/,
    check: ({ roles }) => {
      // The entry in effect (the last) is the one kept, once.
      expect(roles().filter((r) => r.rolearn.toLowerCase() === `arn:aws:iam::${A}:role/team-a`)).toEqual([
        { rolearn: `arn:aws:iam::${A}:role/team-a`, username: 'team-a', groups: ['team-a'] },
      ]);
    },
  },
  {
    name: 'duplicate-case',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}${CI_ENTRY}${role(`arn:aws:iam::${A}:role/CI-Deployer`, 'ci', ['system:masters'])}` } },
    outcome: 'applied',
    warning: /CI-Deployer is mapped more than once; the authenticator uses the last entry/,
    check: ({ result, roles }) => {
      // The later entry is the one in effect, and the one the hub corrects.
      expect(result.changes.changed.map((c) => c.before)).toEqual([
        { kind: 'role', rolearn: `arn:aws:iam::${A}:role/CI-Deployer`, username: 'ci', groups: ['system:masters'] },
      ]);
      expect(roles().filter((r) => r.rolearn.toLowerCase() === CI)).toEqual([
        { rolearn: CI, username: 'ci-deployer', groups: ['deployers'] },
      ]);
    },
  },
  {
    name: 'sso-path',
    ownership: 'full',
    creator: 'terraform',
    // The ARN as the IAM console shows it: with the Identity Center path, which never matches.
    awsAuth: {
      data: {
        mapRoles: `${NODE_ENTRY}${HUB_ENTRY}${role(`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_${ADMIN_SUFFIX}`, 'admin:{{SessionName}}', ['system:masters'])}`,
      },
    },
    outcome: 'applied',
    warning:
      /role\/aws-reserved\/sso\.amazonaws\.com\/AWSReservedSSO_AdministratorAccess_0123456789abcdef carries a path; the authenticator never matches it/,
    check: ({ result, roles }) => {
      // Reported as one change: the same permission set, now under an ARN the authenticator matches.
      expect(
        result.changes.changed.map((c) => [
          c.before.kind === 'role' ? c.before.rolearn : '',
          c.after.kind === 'role' ? c.after.rolearn : '',
        ]),
      ).toEqual([[`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_${ADMIN_SUFFIX}`, ADMIN]]);
      expect(result.changes.removed).toEqual([]);
      expect(
        roles()
          .map((r) => r.rolearn)
          .filter((arn) => arn.includes('/aws-reserved/')),
      ).toEqual([]);
      expect(mappingOf(roles(), ADMIN)).toEqual({ rolearn: ADMIN, username: 'admin:{{SessionName}}', groups: ['system:masters'] });
    },
  },
  {
    name: 'sso-regional-path-merge',
    ownership: 'merge',
    creator: 'terraform',
    awsAuth: {
      data: {
        mapRoles: `${NODE_ENTRY}${HUB_ENTRY}${role(`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_${ADMIN_SUFFIX}`, 'admin:{{SessionName}}', ['system:masters'])}`,
      },
    },
    outcome: 'applied',
    warning: /sso\.amazonaws\.com\/eu-west-1\/AWSReservedSSO_AdministratorAccess_0123456789abcdef carries a path/,
    check: ({ roles }) => {
      // Someone else's entry stays (merge); the hub's own, without path, is what lets people in.
      expect(
        roles()
          .map((r) => r.rolearn)
          .filter((arn) => arn.includes('/eu-west-1/')),
      ).toHaveLength(1);
      expect(mappingOf(roles(), ADMIN)?.groups).toEqual(['system:masters']);
    },
  },
  {
    name: 'node-path',
    ownership: 'full',
    creator: 'terraform',
    nodeRole: `arn:aws:iam::${A}:role/eks/path-workers`,
    awsAuth: {
      data: {
        mapRoles: `${role(`arn:aws:iam::${A}:role/eks/path-workers`, 'system:node:{{EC2PrivateDNSName}}', ['system:bootstrappers', 'system:nodes'])}${HUB_ENTRY}${ADMIN_ENTRY}${CI_ENTRY}`,
      },
    },
    outcome: 'applied',
    warning: /role\/eks\/path-workers carries a path/,
    check: ({ roles }) => {
      // The entry nodes can actually use is written; the live one with a path carries system:nodes and is kept.
      expect(mappingOf(roles(), `arn:aws:iam::${A}:role/path-workers`)).toEqual({
        rolearn: `arn:aws:iam::${A}:role/path-workers`,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes'],
      });
      expect(mappingOf(roles(), `arn:aws:iam::${A}:role/eks/path-workers`)?.groups).toContain('system:nodes');
    },
  },
  {
    name: 'assumed-role-arn',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: {
      data: { mapRoles: `${BASE}${CI_ENTRY}${role(`arn:aws:sts::${A}:assumed-role/ci-deployer/jenkins`, 'jenkins', ['system:masters'])}` },
    },
    outcome: 'applied',
    warning: /rolearn arn:aws:sts::111122223333:assumed-role\/ci-deployer\/jenkins is an STS ARN; the authenticator compares IAM ARNs/,
    check: ({ result, roles }) => {
      expect(result.changes.removed).toEqual([
        { kind: 'role', rolearn: `arn:aws:sts::${A}:assumed-role/ci-deployer/jenkins`, username: 'jenkins', groups: ['system:masters'] },
      ]);
      expect(roles().map((r) => r.rolearn)).not.toContain(`arn:aws:sts::${A}:assumed-role/ci-deployer/jenkins`);
    },
  },
  {
    name: 'masters-ghost-full',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}${CI_ENTRY}${role(`arn:aws:iam::${A}:role/does-not-exist`, 'ghost', ['system:masters'])}` } },
    outcome: 'applied',
    check: ({ result, roles }) => {
      // Full ownership: the file owns every entry; a system:masters grant it does not list goes.
      expect(result.changes.removed).toEqual([
        { kind: 'role', rolearn: `arn:aws:iam::${A}:role/does-not-exist`, username: 'ghost', groups: ['system:masters'] },
      ]);
      expect(mappingOf(roles(), `arn:aws:iam::${A}:role/does-not-exist`)).toBeUndefined();
    },
  },
  {
    name: 'masters-ghost-merge',
    ownership: 'merge',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}${role(`arn:aws:iam::${A}:role/does-not-exist`, 'ghost', ['system:masters'])}` } },
    outcome: 'applied',
    check: ({ result, roles }) => {
      // Merge ownership: someone else's entry is theirs.
      expect(result.changes.removed).toEqual([]);
      expect(mappingOf(roles(), `arn:aws:iam::${A}:role/does-not-exist`)).toEqual({
        rolearn: `arn:aws:iam::${A}:role/does-not-exist`,
        username: 'ghost',
        groups: ['system:masters'],
      });
    },
  },
  {
    name: 'hub-extra-groups',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${NODE_ENTRY}${role(SPOKE, 'eks-auth-hub', ['system:masters', 'hub-extra'])}${ADMIN_ENTRY}` } },
    outcome: 'applied',
    check: ({ result, roles }) => {
      expect(mappingOf(roles(), SPOKE)).toEqual({ rolearn: SPOKE, username: 'eks-auth-hub', groups: ['system:masters', 'hub-extra'] });
      const touched = [...result.changes.removed, ...result.changes.changed.map((c) => c.before)].filter(
        (e) => e.kind === 'role' && e.rolearn === SPOKE,
      );
      expect(touched).toEqual([]);
    },
  },
  {
    name: 'nulls-merge',
    ownership: 'merge',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `${BASE}- rolearn: arn:aws:iam::${A}:role/quiet\n  username: null\n  groups: ~\n` } },
    outcome: 'applied',
    warning: /rolearn arn:aws:iam::111122223333:role\/quiet has no username/,
    check: ({ roles }) =>
      expect(mappingOf(roles(), `arn:aws:iam::${A}:role/quiet`)).toEqual({
        rolearn: `arn:aws:iam::${A}:role/quiet`,
        username: '',
        groups: [],
      }),
  },
  {
    name: 'session-name-template',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: {
      data: {
        mapRoles: `${NODE_ENTRY}${HUB_ENTRY}${role(ADMIN, '"{{SessionName}}"', ['system:masters'])}${role(`arn:aws:iam::${A}:role/dev`, '"dev:{{session_name}}"', ['dev'])}`,
      },
    },
    outcome: 'applied',
    warning: /rolearn arn:aws:iam::111122223333:role\/dev: username uses the unknown template \{\{session_name\}\}/,
    check: ({ result, roles }) => {
      expect(result.changes.changed.map((c) => [c.before, c.after].map((e) => (e.kind === 'role' ? e.username : '')))).toEqual([
        ['{{SessionName}}', 'admin:{{SessionName}}'],
      ]);
      expect(result.changes.removed.map((e) => (e.kind === 'role' ? e.rolearn : ''))).toEqual([`arn:aws:iam::${A}:role/dev`]);
      expect(mappingOf(roles(), ADMIN)?.username).toBe('admin:{{SessionName}}');
    },
  },
  {
    name: 'unicode-lookalike',
    ownership: 'full',
    creator: 'terraform',
    // "ci-dеployer" with a Cyrillic е: a different role that nobody can assume, granting system:masters.
    awsAuth: { data: { mapRoles: `${BASE}${CI_ENTRY}${role(`arn:aws:iam::${A}:role/ci-d\u0435ployer`, 'ci', ['system:masters'])}` } },
    outcome: 'applied',
    check: ({ result, roles }) => {
      expect(result.changes.removed.map((e) => (e.kind === 'role' ? e.rolearn : ''))).toEqual([`arn:aws:iam::${A}:role/ci-d\u0435ployer`]);
      expect(mappingOf(roles(), CI)).toEqual({ rolearn: CI, username: 'ci-deployer', groups: ['deployers'] });
    },
  },
  {
    name: 'crlf',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: BASE.replaceAll('\n', '\r\n') } },
    outcome: 'applied',
    warning: /^live aws-auth mapRoles: has CR or CRLF line breaks; the authenticator reads them as line breaks$/,
    check: ({ after, result }) => {
      expect(dataOf(after)['mapRoles']).not.toContain('\r');
      expect(result.changes.added.map((e) => (e.kind === 'role' ? e.rolearn : ''))).toEqual([CI]);
      expect(result.changes.removed).toEqual([]);
    },
  },
  {
    name: 'byte-order-mark',
    ownership: 'full',
    creator: 'terraform',
    awsAuth: { data: { mapRoles: `\ufeff${BASE}` } },
    outcome: 'applied',
    warning: /^live aws-auth mapRoles: starts with a byte-order mark \(U\+FEFF\); the authenticator skips it$/,
    check: ({ after, result }) => {
      expect(dataOf(after)['mapRoles']?.startsWith('\ufeff')).toBe(false);
      expect(result.changes.added.map((e) => (e.kind === 'role' ? e.rolearn : ''))).toEqual([CI]);
      expect(result.changes.removed).toEqual([]);
    },
  },
  {
    name: 'bulk-5000-merge',
    ownership: 'merge',
    creator: 'hub',
    awsAuth: { data: { mapRoles: `${BASE}${BULK}` } },
    outcome: 'applied',
    check: ({ result, roles }) => {
      expect(result.changes.added.map((e) => (e.kind === 'role' ? e.rolearn : ''))).toEqual([CI]);
      expect(result.changes.removed).toEqual([]);
      expect(roles()).toHaveLength(5004);
    },
  },
  // --- No mappings at all ------------------------------------------------------------------------
  {
    name: 'no-data',
    ownership: 'full',
    creator: 'hub',
    awsAuth: { metadata: { labels: { origin: 'created-empty' } } },
    outcome: 'applied',
    check: ({ after }) => expect(metaOf(after)['labels']).toEqual({ origin: 'created-empty' }),
  },
  { name: 'empty-data', ownership: 'full', creator: 'hub', awsAuth: { data: {} }, outcome: 'applied' },
  { name: 'null-data', ownership: 'full', creator: 'hub', awsAuth: { data: null }, outcome: 'applied' },
  {
    name: 'empty-values',
    ownership: 'full',
    creator: 'hub',
    awsAuth: { data: { mapRoles: '', mapUsers: '  \n', mapAccounts: '' } },
    outcome: 'applied',
  },
  { name: 'null-key', ownership: 'full', creator: 'hub', awsAuth: { data: { mapRoles: '~\n' } }, outcome: 'applied' },
  { name: 'backticks', ownership: 'full', creator: 'hub', awsAuth: { data: { mapRoles: '``', mapUsers: '""' } }, outcome: 'applied' },
  // A healthy cluster in the same pass with something to change (and one without aws-auth, in account B).
  { name: 'healthy-drift', ownership: 'full', creator: 'terraform', awsAuth: { data: { mapRoles: BASE } }, outcome: 'applied' },
];

const HEALTHY_NEW = 'healthy-new';

function manifestOf(c: Case): ConfigMapManifestInput {
  return { ...c.awsAuth, metadata: { ...c.awsAuth.metadata, name: 'aws-auth', namespace: 'kube-system' } };
}

function world(): WorldFileInput {
  const spoke = { name: 'eks-auth-hub-spoke', trust: [{ principal: HUB_USER, externalId: 'example-external-id' }] };
  return {
    apiVersion: 'eks-auth-hub-sim/v1',
    partition: 'aws',
    seed: 424242,
    management: {
      account: '999988887777',
      principal: {
        userName: 'eks-auth-hub',
        accessKeyId: 'AKIASIMHUB0000000001',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSIMULATORK',
      },
    },
    accounts: [
      {
        id: A,
        permissionSets: [{ name: 'AdministratorAccess', suffix: ADMIN_SUFFIX }],
        roles: [
          spoke,
          { name: 'terraform' },
          { name: 'ci-deployer' },
          { name: 'workers' },
          { name: 'path-workers', path: '/eks/' },
          { name: 'team-a' },
        ],
        clusters: CASES.map((c) => ({
          name: c.name,
          region: REGION,
          creator: c.creator === 'hub' ? SPOKE : `arn:aws:iam::${A}:role/terraform`,
          nodegroups: [{ name: 'ng', nodeRole: c.nodeRole ?? WORKERS }],
          configMaps: [manifestOf(c)],
        })),
      },
      {
        id: B,
        permissionSets: [{ name: 'AdministratorAccess' }],
        roles: [spoke, { name: 'ci-deployer' }, { name: 'workers' }],
        clusters: [
          {
            name: HEALTHY_NEW,
            region: REGION,
            creator: `arn:aws:iam::${B}:role/eks-auth-hub-spoke`,
            nodegroups: [{ name: 'ng', nodeRole: `arn:aws:iam::${B}:role/workers` }],
          },
        ],
      },
    ],
  };
}

const hubYaml = [
  'apiVersion: eks-auth-hub/v1',
  'hub:',
  '  roleName: eks-auth-hub-spoke',
  '  externalId: example-external-id',
  '  concurrency: 16',
  '  accountConcurrency: 8',
  '  guard: { maxRemovalRatio: 0.5 }',
  'defaults:',
  '  mapRoles:',
  '    - permissionset: AdministratorAccess',
  '      username: "admin:{{SessionName}}"',
  '      groups: [system:masters]',
  '    - rolearn: arn:aws:iam::$ACCOUNTID:role/ci-deployer',
  '      username: ci-deployer',
  '      groups: [deployers]',
  'clusters:',
  ...CASES.map((c) => `  - { name: ${c.name}, account: "${A}", region: ${REGION}, ownership: ${c.ownership} }`),
  `  - { name: ${HEALTHY_NEW}, account: "${B}", region: ${REGION} }`,
  '',
].join('\n');

const h = useSimulator(world, { region: REGION });
const state = loadState(hubYaml, 'hostile-hub.yaml');
/**
 * Real ports, one set per pass as one CLI run. The simulator answers from this same process, so
 * while the hub parses a 5,000-entry aws-auth no request is answered: requests get more time than
 * the suite's usual 5 s (no retries to hide behind).
 */
const ports = (): AwsPorts => createAwsPorts({ hub: state.hub, maxAttempts: 1, requestTimeoutMs: 60_000, connectionTimeoutMs: 10_000 });
const refOf = (name: string): SimClusterRef => ({ account: name === HEALTHY_NEW ? B : A, region: REGION, cluster: name });
const object = (name: string, configMap = 'aws-auth'): Record<string, unknown> | null =>
  h.sim.control.readConfigMap(refOf(name), 'kube-system', configMap);
const planted = new Map<string, Record<string, unknown>>();
const byOutcome = (outcome: Outcome): Case[] => CASES.filter((c) => c.outcome === outcome);

describe('hostile live aws-auth', { timeout: 60_000 }, () => {
  let first: PassReport;

  beforeAll(async () => {
    for (const c of CASES) {
      const live = object(c.name);
      if (live === null) throw new Error(`${c.name}: nothing planted`);
      planted.set(c.name, structuredClone(live));
    }
    first = await pass(state, { ports: ports() });
  }, 60_000);

  it('plants at least 20 hostile shapes, each an object the API server accepts (the 1 MiB cases within a few KB of the limit)', () => {
    expect(CASES.filter((c) => !c.name.startsWith('healthy')).length).toBeGreaterThanOrEqual(20);
    const values = (name: string): number => {
      const o = planted.get(name) ?? {};
      const binary = Object.values((o['binaryData'] ?? {}) as Record<string, string>).reduce(
        (s, v) => s + Buffer.from(v, 'base64').length,
        0,
      );
      return Object.values(dataOf(o)).reduce((s, v) => s + bytes(v), 0) + binary;
    };
    for (const name of ['near-1mib-flow', 'binary-near-1mib', 'near-1mib-fits']) {
      expect(values(name), name).toBeLessThanOrEqual(MIB);
      expect(values(name), name).toBeGreaterThan(MIB - 2_100);
    }
    expect(planted.get('immutable')?.['immutable']).toBe(true);
    expect(planted.get('no-data')).not.toHaveProperty('data');
  });

  it('the pass reports every cluster, each with its expected outcome (nothing thrown, nothing crashed)', () => {
    const expected = Object.fromEntries([...CASES.map((c) => [c.name, c.outcome] as const), [HEALTHY_NEW, 'applied'] as const]);
    const got = Object.fromEntries(first.clusters.map((c) => [c.name, c.outcome]));
    expect(got, explain(first)).toEqual(expected);
    for (const result of first.clusters) expect(result.error?.code ?? '', result.name).not.toBe('internal');
  });

  describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it(`is ${c.outcome}, with its reason in the result`, () => {
      const result = resultOf(first, c.name);
      const before = planted.get(c.name);
      const after = object(c.name);
      if (before === undefined || after === null) throw new Error(`${c.name}: no aws-auth`);
      expect(result.outcome, explain(first)).toBe(c.outcome);
      if (c.refusal !== undefined) {
        const { rule, message } = c.refusal;
        expect(
          result.refusals.filter((r) => r.rule === rule && message.test(r.message)),
          JSON.stringify(result.refusals),
        ).toHaveLength(1);
      }
      if (c.failure !== undefined) {
        expect(result.error?.code).toBe(c.failure.code);
        expect(result.error?.message).toMatch(c.failure.message);
      }
      if (c.warning !== undefined) {
        const warning = c.warning;
        expect(
          result.warnings.filter((w) => warning.test(w)),
          JSON.stringify(result.warnings),
        ).not.toEqual([]);
      }
      const history = object(c.name, 'eks-auth-hub-history');
      if (c.outcome === 'applied') {
        expect(result.error).toBeUndefined();
        expect(result.refusals).toEqual([]);
        expect(result.created).toBe(false);
        expect(metaOf(after)['resourceVersion']).not.toBe(metaOf(before)['resourceVersion']);
        // The way back: the replaced mapping keys, kept before the write.
        const kept = JSON.parse(dataOf(history ?? {})['history.json'] ?? '[]') as { data: Record<string, string> }[];
        const mappingKeys = Object.fromEntries(
          Object.entries(dataOf(before)).filter(([k]) => ['mapRoles', 'mapUsers', 'mapAccounts'].includes(k)),
        );
        expect(kept.map((e) => e.data)).toEqual([mappingKeys]);
      } else {
        if (c.outcome === 'blocked') expect(result.refusals.length).toBeGreaterThan(0);
        // Refused or failed: the live object exactly as planted, and no history written either.
        expect(after).toEqual(before);
        expect(history).toBeNull();
      }
      c.check?.({ result, before, after, roles: () => liveMapRoles(h.sim, refOf(c.name)) });
    });
  });

  it('the written clusters hold exactly the desired mappings (plus node entries, the hub’s own, and merge’s foreign ones)', () => {
    expectConverged(h.sim, state, [...byOutcome('applied').map((c) => c.name), HEALTHY_NEW]);
    expect(resultOf(first, HEALTHY_NEW).created).toBe(true);
  });

  it('the hub can still authenticate to every cluster it wrote, and to the refused ones as before', async () => {
    const names = [...CASES.map((c) => c.name), HEALTHY_NEW];
    const access = await hubAccess(h.sim, names.map(refOf));
    expect(access).toEqual(Object.fromEntries(names.map((n) => [n, 'ok'])));
  });

  it('a second pass changes nothing: written clusters are unchanged, refused ones stay refused and untouched', async () => {
    const beforeSecond = new Map(CASES.map((c) => [c.name, structuredClone(object(c.name))] as const));
    const second = await pass(state, { ports: ports() });
    const expected = Object.fromEntries([
      ...CASES.map((c) => [c.name, c.outcome === 'applied' ? 'unchanged' : c.outcome] as const),
      [HEALTHY_NEW, 'unchanged'] as const,
    ]);
    expect(Object.fromEntries(second.clusters.map((c) => [c.name, c.outcome])), explain(second)).toEqual(expected);
    for (const c of CASES) expect(object(c.name), c.name).toEqual(beforeSecond.get(c.name));
    for (const c of CASES.filter((x) => x.outcome !== 'applied')) expect(object(c.name), c.name).toEqual(planted.get(c.name));
  });

  it('with --allow-repair, unreadable mapUsers is rewritten while every understood mapRoles entry is kept', async () => {
    const name = 'yaml-mapusers';
    const before = liveMapRoles(h.sim, refOf(name));
    const report = await pass(state, { only: [name], allowRepair: true, ports: ports() });
    expect(resultOf(report, name).outcome, explain(report)).toBe('applied');
    const after = liveMapRoles(h.sim, refOf(name));
    for (const entry of before) expect(mappingOf(after, entry.rolearn), entry.rolearn).toEqual(entry);
    expect(mappingOf(after, CI)).toEqual({ rolearn: CI, username: 'ci-deployer', groups: ['deployers'] });
    expect(dataOf(object(name) ?? {})['mapUsers']).toBeUndefined();
    expect(await hubAccess(h.sim, [refOf(name)])).toEqual({ [name]: 'ok' });
  });

  it('--allow-repair does not write over a binaryData mapping key (binaryData is never dropped) nor an immutable aws-auth', async () => {
    const report = await pass(state, { only: ['binary-maproles', 'immutable'], allowRepair: true, ports: ports() });
    expect(resultOf(report, 'binary-maproles')).toMatchObject({ outcome: 'blocked', refusals: [{ rule: 'live-unparseable' }] });
    expect(resultOf(report, 'immutable')).toMatchObject({ outcome: 'failed', error: { code: 'kube.immutable' } });
    for (const name of ['binary-maproles', 'immutable']) expect(object(name), name).toEqual(planted.get(name));
  });
});
