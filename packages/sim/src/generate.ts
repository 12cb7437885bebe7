/**
 * Large generated worlds for tests and the benchmark: N accounts × M clusters × R permission sets,
 * the same for the same seed.
 */
import { roleArn } from '@eks-auth-hub/core';
import { Random } from './random.js';
import type { WorldFileInput } from './world-schema.js';

export interface GenerateOptions {
  readonly accounts: number;
  readonly clustersPerAccount: number;
  /** Permission sets provisioned in every account (each one Identity Center role). */
  readonly ssoRolesPerAccount: number;
  readonly seed?: number;
  readonly regions?: readonly string[];
  /** Share of clusters that start with an aws-auth (node entries and the hub's mapping). */
  readonly awsAuthShare?: number;
  readonly externalId?: string;
  readonly maxListRolesPageSize?: number;
}

export const GENERATED_MANAGEMENT_ACCOUNT = '999900000000';
export const GENERATED_HUB_KEY = {
  accessKeyId: 'AKIASIMGENERATED0001',
  secretAccessKey: 'generatedWorldSecretKeyForTheHub00000000',
} as const;
export const SPOKE_ROLE = 'eks-auth-hub-spoke';

/** The account ID of the i-th generated account. */
export function generatedAccountId(index: number): string {
  return String(100_000_000_000 + index);
}

/** The permission set names every generated account has. */
export function generatedPermissionSets(count: number): string[] {
  return Array.from({ length: count }, (_, j) =>
    j === 0 ? 'AdministratorAccess' : j === 1 ? 'ReadOnly' : `Team${String(j).padStart(3, '0')}`,
  );
}

export function generateWorld(options: GenerateOptions): WorldFileInput {
  const random = new Random(options.seed ?? 1);
  const regions = options.regions ?? ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
  const awsAuthShare = options.awsAuthShare ?? 0.5;
  const externalId = options.externalId ?? 'example-external-id';
  const hubArn = `arn:aws:iam::${GENERATED_MANAGEMENT_ACCOUNT}:user/eks-auth-hub`;
  const permissionSets = generatedPermissionSets(options.ssoRolesPerAccount);
  const accounts = Array.from({ length: options.accounts }, (_, i) => {
    const id = generatedAccountId(i);
    const role = (name: string): string => roleArn('aws', id, name);
    const clusters = Array.from({ length: options.clustersPerAccount }, (_, k) => {
      const windows = random.chance(0.1);
      const fargate = random.chance(0.2);
      const nodegroups = [
        { name: 'general', nodeRole: role(`node-${k % 3}`), amiType: 'AL2023_x86_64_STANDARD' },
        ...(windows ? [{ name: 'windows', nodeRole: role('windows-node'), amiType: 'WINDOWS_CORE_2022_x86_64' }] : []),
      ];
      const withAwsAuth = random.chance(awsAuthShare);
      const nodeEntries = nodegroups
        .map(
          (n) =>
            `- rolearn: ${n.nodeRole}\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes${n.amiType.startsWith('WINDOWS') ? ', eks:kube-proxy-windows' : ''}]\n`,
        )
        .join('');
      return {
        name: `cluster-${String(k).padStart(3, '0')}`,
        region: regions[k % regions.length] ?? 'eu-west-1',
        creator: role(SPOKE_ROLE),
        nodegroups,
        fargateProfiles: fargate ? [{ name: 'jobs', podExecutionRoleArn: role('pod-exec') }] : [],
        ...(withAwsAuth ? { awsAuth: { mapRoles: nodeEntries } } : {}),
      };
    });
    return {
      id,
      permissionSets: permissionSets.map((name) => ({ name, ...(random.chance(0.2) ? { region: 'eu-west-1' } : {}) })),
      roles: [
        { name: SPOKE_ROLE, trust: [{ principal: hubArn, externalId }] },
        { name: 'ci-deployer' },
        { name: 'node-0' },
        { name: 'node-1' },
        { name: 'node-2' },
        { name: 'windows-node' },
        { name: 'pod-exec' },
      ],
      clusters,
    };
  });
  return {
    apiVersion: 'eks-auth-hub-sim/v1',
    seed: options.seed ?? 1,
    management: { account: GENERATED_MANAGEMENT_ACCOUNT, principal: { userName: 'eks-auth-hub', ...GENERATED_HUB_KEY } },
    settings: { maxListRolesPageSize: options.maxListRolesPageSize ?? 1000, maxEksPageSize: 100 },
    accounts,
  };
}
