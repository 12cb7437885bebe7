/**
 * The benchmark's world: a generated simulator world with no aws-auth anywhere, the desired-state file
 * that maps every permission set on every cluster, its shape for the yardsticks, and the permission
 * sets reassigned before the third pass (each gets a role with a new suffix). The same for the same options.
 */
import { generatedPermissionSets, generateWorld, Random, SPOKE_ROLE, type WorldFileInput } from '@eks-auth-hub/sim';
import type { PassSetting, WorldShape } from './figures.js';
import type { BenchOptions } from './options.js';

export type WorldOptions = Pick<BenchOptions, 'accounts' | 'clustersPerAccount' | 'ssoRoles' | 'seed' | 'concurrency'>;

export function benchWorld(options: WorldOptions): WorldFileInput {
  return generateWorld({
    accounts: options.accounts,
    clustersPerAccount: options.clustersPerAccount,
    ssoRolesPerAccount: options.ssoRoles,
    seed: options.seed,
    awsAuthShare: 0,
  });
}

/** `<account>/<region>/<name>`: the cluster ids of the desired state. */
export function clusterId(account: string, region: string, name: string): string {
  return `${account}/${region}/${name}`;
}

export function worldShape(world: WorldFileInput): WorldShape {
  return {
    accounts: (world.accounts ?? []).map((account) => ({
      id: account.id,
      ssoRoles: (account.permissionSets ?? []).length,
      clusters: (account.clusters ?? []).map((c) => ({
        id: clusterId(account.id, c.region ?? '', c.name),
        nodegroups: (c.nodegroups ?? []).length,
        fargateProfiles: (c.fargateProfiles ?? []).length,
      })),
    })),
  };
}

/** The username a permission set is mapped with in the desired file. */
export function ssoUsername(permissionSet: string): string {
  return `${permissionSet.toLowerCase()}:{{SessionName}}`;
}

/** The group a permission set is mapped to: AdministratorAccess → system:masters, the others their own. */
export function ssoGroup(permissionSet: string): string {
  return permissionSet === 'AdministratorAccess' ? 'system:masters' : permissionSet.toLowerCase();
}

/** The desired-state file: every permission set mapped on every cluster (through the defaults). */
export function desiredHubYaml(world: WorldFileInput, options: WorldOptions): string {
  const lines = [
    'apiVersion: eks-auth-hub/v1',
    'hub:',
    `  roleName: ${SPOKE_ROLE}`,
    '  externalId: example-external-id',
    `  concurrency: ${options.concurrency}`,
    'defaults:',
    '  mapRoles:',
  ];
  for (const set of generatedPermissionSets(options.ssoRoles)) {
    lines.push(`    - permissionset: ${set}`, `      username: "${ssoUsername(set)}"`, `      groups: [${ssoGroup(set)}]`);
  }
  lines.push('clusters:');
  for (const account of world.accounts ?? []) {
    for (const cluster of account.clusters ?? [])
      lines.push(`  - { name: ${cluster.name}, account: "${account.id}", region: ${cluster.region ?? ''} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** A permission set reassigned in an account: its last assignment removed and a new one made (a new role suffix). */
export interface Reassignment {
  readonly account: string;
  readonly permissionSet: string;
}

/** `share` of all (account, permission set) pairs, at least one when share > 0, chosen with the seed. */
export function reassignmentPicks(world: WorldFileInput, share: number, seed: number): Reassignment[] {
  const pairs = (world.accounts ?? []).flatMap((a) => (a.permissionSets ?? []).map((p) => ({ account: a.id, permissionSet: p.name })));
  const count = share === 0 ? 0 : Math.min(pairs.length, Math.max(1, Math.round(pairs.length * share)));
  const random = new Random(seed ^ 0x7e9);
  // A partial Fisher–Yates shuffle: the first `count` are a uniform sample.
  const pool = [...pairs];
  for (let i = 0; i < count; i++) {
    const j = i + random.int(pool.length - i);
    const a = pool[i];
    const b = pool[j];
    if (a === undefined || b === undefined) break;
    pool[i] = b;
    pool[j] = a;
  }
  return pool.slice(0, count);
}

/** What each of the three passes must change: the first creates every aws-auth; the third rewrites the clusters of accounts with a reassigned (mapped) permission set. */
export function passSettings(shape: WorldShape, picks: readonly Reassignment[]): Record<'cold' | 'warm' | 'reassigned', PassSetting> {
  const all = new Set(shape.accounts.flatMap((a) => a.clusters.map((c) => c.id)));
  const touched = new Set(picks.map((p) => p.account));
  const rewritten = new Set(shape.accounts.filter((a) => touched.has(a.id)).flatMap((a) => a.clusters.map((c) => c.id)));
  return {
    cold: { coldCache: true, changing: all, existing: new Set() },
    warm: { coldCache: false, changing: new Set(), existing: all },
    reassigned: { coldCache: false, changing: rewritten, existing: all },
  };
}
