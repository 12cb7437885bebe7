/**
 * The world file of the simulator: who the hub is, which accounts exist, which permission sets are
 * provisioned where, which other roles exist and who may assume them, and which clusters run where.
 */

import { type ConfigIssue, loadYaml } from '@eks-auth-hub/core';
import { z } from 'zod';
import type { ConfigMapContent } from './configmap.js';
import { base64Problem } from './configmap-decode.js';
import { validateConfigMap } from './configmap-validate.js';

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^(?:[a-z]{2}|us-gov)-[a-z]+-[1-9][0-9]?$/;
const NAME = /^[\w+=,.@-]{1,64}$/;
const PERMISSION_SET = /^[\w+=,.@-]{1,32}$/;
const PATH = /^\/(?:[\x21-\x7e]+\/)?$/;
const ARN = /^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::[0-9]{12}:[\x21-\x7e]+$/;

const account = z
  .string({ error: 'expected a quoted 12-digit account ID' })
  .regex(ACCOUNT, { error: 'expected a quoted 12-digit account ID' });
const arn = z
  .string({ error: 'expected an IAM ARN' })
  .regex(ARN, { error: 'expected an IAM ARN such as arn:aws:iam::111122223333:role/name' });

export const trustSchema = z.strictObject({
  /** The principal ARN allowed to assume the role (a user, a role, or an account root). */
  principal: arn,
  externalId: z.string().min(2).max(1224).optional(),
});

export const roleSchema = z.strictObject({
  name: z.string().regex(NAME, { error: 'expected an IAM role name' }),
  path: z.string().regex(PATH, { error: 'expected an IAM path such as / or /eks/' }).default('/'),
  trust: z.array(trustSchema).default([]),
  maxSessionDurationSeconds: z.number().int().min(3600).max(43_200).default(3600),
});

/**
 * A permission set with at least one assignment in the account, so Identity Center has made its role
 * `AWSReservedSSO_<name>_<suffix>` there. The suffix is the role's until the last assignment is
 * removed (the role deleted); a later assignment makes a new role with another suffix.
 */
export const permissionSetSchema = z.strictObject({
  name: z.string().regex(PERMISSION_SET, { error: 'expected a permission set name: 1-32 of letters, digits and _+=,.@-' }),
  /** Region of the Identity Center instance when the role lives under the regional path. */
  region: z.string().regex(REGION).optional(),
  /** A fixed suffix (16 lower-case hex); random (seeded) when omitted. */
  suffix: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
  /** Extra principals allowed to assume the role (so tests can act as a person signed in through SSO). */
  trust: z.array(trustSchema).default([]),
});

export const nodegroupSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/),
  nodeRole: arn,
  amiType: z.string().default('AL2023_x86_64_STANDARD'),
});

export const fargateProfileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/),
  podExecutionRoleArn: arn,
});

const stringMap = z.record(z.string(), z.string());

/**
 * A ConfigMap planted in a cluster, written as a manifest (what `kubectl get -o yaml` shows, without
 * what the server assigns). It must be an object the API server would have accepted: the same key,
 * size and base64 rules apply. `data: null`, `data: {}` and no data are all allowed (the API server
 * returns none of them).
 */
export const configMapManifestSchema = z
  .strictObject({
    apiVersion: z.literal('v1').optional(),
    kind: z.literal('ConfigMap').optional(),
    metadata: z.strictObject({
      name: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: 'expected a DNS subdomain name such as aws-auth' }),
      namespace: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'expected a namespace name such as kube-system' })
        .default('default'),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
      ownerReferences: z
        .array(
          z.strictObject({
            apiVersion: z.string(),
            kind: z.string(),
            name: z.string(),
            uid: z.string(),
            controller: z.boolean().optional(),
            blockOwnerDeletion: z.boolean().optional(),
          }),
        )
        .optional(),
      finalizers: z.array(z.string()).optional(),
      managedFields: z.array(z.record(z.string(), z.unknown())).optional(),
    }),
    data: stringMap.nullable().optional(),
    /** Values in standard base64, as the API takes them. */
    binaryData: stringMap.nullable().optional(),
    immutable: z.boolean().optional(),
  })
  .superRefine((manifest, ctx) => {
    for (const [key, value] of Object.entries(manifest.binaryData ?? {})) {
      const problem = base64Problem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['binaryData', key], message: `not standard base64: ${problem}` });
    }
    for (const error of validateConfigMap(manifestContent(manifest))) {
      ctx.addIssue({ code: 'custom', path: [...error.path], message: `the API server would refuse it: ${error.field}: ${error.body}` });
    }
  });

export type ConfigMapManifest = z.output<typeof configMapManifestSchema>;
export type ConfigMapManifestInput = z.input<typeof configMapManifestSchema>;

/** What a manifest sets, in the form the world stores. */
export function manifestContent(manifest: ConfigMapManifest): ConfigMapContent {
  const meta = manifest.metadata;
  return {
    data: manifest.data ?? {},
    binaryData: manifest.binaryData ?? {},
    ...(manifest.immutable === undefined ? {} : { immutable: manifest.immutable }),
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
    ownerReferences: (meta.ownerReferences ?? []).map((r) => ({
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.name,
      uid: r.uid,
      ...(r.controller === undefined ? {} : { controller: r.controller }),
      ...(r.blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion: r.blockOwnerDeletion }),
    })),
    finalizers: meta.finalizers ?? [],
    managedFields: meta.managedFields ?? [],
  };
}

export const clusterSchema = z.strictObject({
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/),
  region: z.string().regex(REGION, { error: 'expected an AWS region such as eu-west-1' }),
  version: z.string().default('1.31'),
  authenticationMode: z.enum(['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API']).default('API_AND_CONFIG_MAP'),
  /** The principal that created the cluster: it is admin without any aws-auth entry. */
  creator: arn.optional(),
  nodegroups: z.array(nodegroupSchema).default([]),
  fargateProfiles: z.array(fargateProfileSchema).default([]),
  /** Initial `kube-system/aws-auth` data; omitted: the cluster has none yet. */
  awsAuth: z.record(z.string(), z.string()).optional(),
  /** ConfigMaps the cluster starts with, as manifests (any namespace; `kube-system/aws-auth` here instead of `awsAuth`). */
  configMaps: z.array(configMapManifestSchema).default([]),
});

export const accountSchema = z.strictObject({
  id: account,
  permissionSets: z.array(permissionSetSchema).default([]),
  roles: z.array(roleSchema).default([]),
  clusters: z.array(clusterSchema).default([]),
});

export const worldSchema = z
  .strictObject({
    apiVersion: z.literal('eks-auth-hub-sim/v1', { error: 'expected "eks-auth-hub-sim/v1"' }),
    partition: z.enum(['aws', 'aws-cn', 'aws-us-gov']).default('aws'),
    seed: z.number().int().default(1),
    management: z.strictObject(
      {
        account,
        /** The hub's own principal: an IAM user with a static access key. */
        principal: z.strictObject(
          {
            userName: z.string().regex(NAME).default('eks-auth-hub'),
            accessKeyId: z
              .string()
              .regex(/^AKIA[A-Z0-9]{16}$/, { error: 'expected an access key id: AKIA and 16 upper-case letters or digits' }),
            secretAccessKey: z.string().min(40).max(40),
          },
          { error: 'required: a mapping with accessKeyId and secretAccessKey (and optional userName)' },
        ),
      },
      { error: 'required: a mapping with account and principal (the hub)' },
    ),
    settings: z
      .strictObject({
        /** Largest ListRoles page the simulator returns, whatever MaxItems asks for. */
        maxListRolesPageSize: z.number().int().min(1).max(1000).default(1000),
        /** Largest page of the EKS list operations. */
        maxEksPageSize: z.number().int().min(1).max(100).default(100),
      })
      .default({ maxListRolesPageSize: 1000, maxEksPageSize: 100 }),
    accounts: z.array(accountSchema).default([]),
  })
  .superRefine((world, ctx) => {
    const seen = new Set<string>([world.management.account]);
    world.accounts.forEach((acct, i) => {
      if (seen.has(acct.id)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'id'], message: `account ${acct.id} appears twice` });
      seen.add(acct.id);
      const clusters = new Set<string>();
      acct.clusters.forEach((cluster, j) => {
        const key = `${cluster.region}/${cluster.name}`;
        if (clusters.has(key))
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', i, 'clusters', j, 'name'],
            message: `cluster ${cluster.name} appears twice in ${cluster.region}`,
          });
        clusters.add(key);
        const planted = new Set<string>(cluster.awsAuth === undefined ? [] : ['kube-system/aws-auth']);
        cluster.configMaps.forEach((cm, k) => {
          const id = `${cm.metadata.namespace}/${cm.metadata.name}`;
          if (planted.has(id)) {
            const also = id === 'kube-system/aws-auth' && cluster.awsAuth !== undefined ? ' (awsAuth plants it too)' : '';
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', i, 'clusters', j, 'configMaps', k, 'metadata', 'name'],
              message: `ConfigMap ${id} appears twice${also}`,
            });
          }
          planted.add(id);
        });
      });
      const roles = new Set<string>();
      acct.roles.forEach((role, j) => {
        if (roles.has(role.name.toLowerCase()))
          ctx.addIssue({ code: 'custom', path: ['accounts', i, 'roles', j, 'name'], message: `role ${role.name} appears twice` });
        roles.add(role.name.toLowerCase());
      });
      const sets = new Set<string>();
      acct.permissionSets.forEach((set, j) => {
        if (sets.has(set.name))
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', i, 'permissionSets', j, 'name'],
            message: `permission set ${set.name} appears twice`,
          });
        sets.add(set.name);
      });
    });
  });

export type WorldFile = z.output<typeof worldSchema>;
export type WorldFileInput = z.input<typeof worldSchema>;

export type WorldLoadResult =
  | { readonly ok: true; readonly world: WorldFile }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Parses and validates a world file; every problem located at file:line:col. */
export function loadWorldFile(text: string, file: string): WorldLoadResult {
  const loaded = loadYaml(text, file, worldSchema, {
    expected: 'a mapping with apiVersion, management and accounts',
    what: 'a world file',
    maxBytes: 512 * 1024 * 1024,
  });
  return loaded.ok ? { ok: true, world: loaded.value } : { ok: false, issues: loaded.issues };
}
