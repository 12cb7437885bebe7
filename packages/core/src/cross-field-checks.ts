/**
 * The desired-state file's checks that span fields: duplicate clusters, ARNs outside the cluster's
 * partition, an entry mapped twice, a role that is also a node role. They read the value
 * defensively: parts of it may have failed their schema.
 */
import type { z } from 'zod';
import { ACCOUNT_PATTERN, ACCOUNT_PLACEHOLDER, type Partition, parseIamArn, partitionOfRegion, REGION_PATTERN } from './arn.js';
import { formatPath } from './config-issues.js';

export function addIssue(ctx: z.RefinementCtx, message: string, path: readonly PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path: [...path] });
}

type Path = readonly PropertyKey[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

interface EffectiveArn {
  readonly arn: string;
  readonly path: Path;
}

/** The checks of the whole file that span fields (run by the schema even when other fields failed). */
export function crossFieldChecks(value: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(value)) return;
  const defaults = isRecord(value['defaults']) ? value['defaults'] : {};
  const seen = new Map<string, number>();
  list(value['clusters']).forEach((cluster, index) => {
    if (!isRecord(cluster)) return;
    const name = str(cluster['name']);
    const account = str(cluster['account']);
    const region = str(cluster['region']);
    if (name !== undefined && account !== undefined && region !== undefined) {
      const key = `${account}/${region}/${name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        addIssue(ctx, `duplicate cluster: clusters[${first}] already names ${name} in account ${account}, ${region}`, [
          'clusters',
          index,
          'name',
        ]);
      } else {
        seen.set(key, index);
      }
    }
    const partition = region !== undefined && REGION_PATTERN.test(region) ? partitionOfRegion(region) : undefined;
    const inherit = cluster['inheritDefaults'] !== false;
    checkClusterMappings(ctx, index, cluster, inherit ? defaults : {}, partition, account, name ?? `clusters[${index}]`);
  });
}

function checkClusterMappings(
  ctx: z.RefinementCtx,
  index: number,
  cluster: Record<string, unknown>,
  defaults: Record<string, unknown>,
  partition: Partition | undefined,
  account: string | undefined,
  clusterName: string,
): void {
  const own: Path = ['clusters', index];
  const fromDefaults: Path = ['defaults'];
  const concreteAccount = account !== undefined && ACCOUNT_PATTERN.test(account) ? account : undefined;
  const substitute = (arn: string): string =>
    concreteAccount === undefined ? arn : arn.replace(`::${ACCOUNT_PLACEHOLDER}:`, `::${concreteAccount}:`);

  const roleArns: EffectiveArn[] = [];
  const permissionSets: { name: string; path: Path }[] = [];
  const userArns: EffectiveArn[] = [];
  const accounts: { account: string; path: Path }[] = [];
  for (const [base, source] of [
    [fromDefaults, defaults],
    [own, cluster],
  ] as const) {
    list(source['mapRoles']).forEach((entry, i) => {
      if (!isRecord(entry)) return;
      const arn = str(entry['rolearn']);
      const set = str(entry['permissionset']);
      if (arn !== undefined) roleArns.push({ arn: substitute(arn), path: [...base, 'mapRoles', i, 'rolearn'] });
      if (set !== undefined) permissionSets.push({ name: set, path: [...base, 'mapRoles', i, 'permissionset'] });
    });
    list(source['mapUsers']).forEach((entry, i) => {
      if (!isRecord(entry)) return;
      const arn = str(entry['userarn']);
      if (arn !== undefined) userArns.push({ arn: substitute(arn), path: [...base, 'mapUsers', i, 'userarn'] });
    });
    list(source['mapAccounts']).forEach((acct, i) => {
      if (typeof acct === 'string') accounts.push({ account: acct, path: [...base, 'mapAccounts', i] });
    });
  }
  const nodeRoles: EffectiveArn[] = list(cluster['nodeRoles']).flatMap((arn, i) =>
    typeof arn === 'string' ? [{ arn: substitute(arn), path: [...own, 'nodeRoles', i] }] : [],
  );

  const where = (path: Path): string => (path[0] === 'defaults' ? ` (for cluster ${clusterName})` : '');

  // Partition: every ARN must live in the cluster's partition.
  if (partition !== undefined) {
    for (const item of [...roleArns, ...userArns, ...nodeRoles]) {
      const parsed = parseIamArn(item.arn, { allowPlaceholder: true });
      if (parsed.ok && parsed.arn.partition !== partition) {
        addIssue(
          ctx,
          `partition ${parsed.arn.partition} does not match the cluster's region (partition ${partition})${where(item.path)}`,
          item.path,
        );
      }
    }
  }

  const duplicates = <T>(items: readonly T[], key: (item: T) => string, path: (item: T) => Path, what: (item: T) => string): void => {
    const first = new Map<string, T>();
    for (const item of items) {
      const k = key(item);
      const earlier = first.get(k);
      if (earlier === undefined) {
        first.set(k, item);
      } else {
        addIssue(
          ctx,
          `${what(item)} is mapped twice${where(path(item))}: already at ${formatPath(path(earlier))}; the authenticator would silently keep only the last`,
          path(item),
        );
      }
    }
  };
  duplicates(
    roleArns,
    (r) => r.arn.toLowerCase(),
    (r) => r.path,
    (r) => `role ${r.arn}`,
  );
  duplicates(
    userArns,
    (r) => r.arn.toLowerCase(),
    (r) => r.path,
    (r) => `user ${r.arn}`,
  );
  duplicates(
    permissionSets,
    (p) => p.name,
    (p) => p.path,
    (p) => `permission set ${p.name}`,
  );
  duplicates(
    accounts,
    (a) => a.account,
    (a) => a.path,
    (a) => `account ${a.account}`,
  );
  duplicates(
    nodeRoles,
    (r) => r.arn.toLowerCase(),
    (r) => r.path,
    (r) => `node role ${r.arn}`,
  );

  const nodeKeys = new Map(nodeRoles.map((r) => [r.arn.toLowerCase(), r] as const));
  for (const role of roleArns) {
    const node = nodeKeys.get(role.arn.toLowerCase());
    if (node !== undefined) {
      addIssue(
        ctx,
        `role ${role.arn} is also a node role (${formatPath(node.path)}); node roles are mapped with the node groups automatically${where(role.path)}`,
        role.path,
      );
    }
  }
}
