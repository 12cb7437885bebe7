/**
 * Node mappings: the entries that let worker nodes join. EKS writes the same ones itself; the hub
 * adds them for every node role it discovers so a rewrite never drops a node group.
 */
import { arnKey, stripRolePath } from './arn.js';
import type { Entry } from './aws-auth/entry.js';
import type { NodeRoleSource } from './world.js';

export const GROUP_BOOTSTRAPPERS = 'system:bootstrappers';
export const GROUP_NODES = 'system:nodes';
export const GROUP_NODE_PROXIER = 'system:node-proxier';
export const GROUP_KUBE_PROXY_WINDOWS = 'eks:kube-proxy-windows';
export const EC2_NODE_USERNAME = 'system:node:{{EC2PrivateDNSName}}';
export const FARGATE_NODE_USERNAME = 'system:node:{{SessionName}}';

export function isWindowsAmiType(amiType: string): boolean {
  return amiType.toUpperCase().startsWith('WINDOWS_');
}

/** Whether a mapping lets nodes join (it carries `system:nodes`). */
export function isNodeEntry(entry: Entry): boolean {
  return entry.kind === 'role' && entry.groups.includes(GROUP_NODES);
}

const GROUP_ORDER = [GROUP_BOOTSTRAPPERS, GROUP_NODES, GROUP_NODE_PROXIER, GROUP_KUBE_PROXY_WINDOWS];

function orderGroups(groups: Iterable<string>): string[] {
  return [...new Set(groups)].sort((a, b) => {
    const ia = GROUP_ORDER.indexOf(a);
    const ib = GROUP_ORDER.indexOf(b);
    return (ia < 0 ? GROUP_ORDER.length : ia) - (ib < 0 ? GROUP_ORDER.length : ib) || a.localeCompare(b);
  });
}

export interface NodeMappings {
  /** One entry per node role, sorted by ARN. */
  readonly entries: readonly Extract<Entry, { kind: 'role' }>[];
  /** Roles used both by EC2 nodes and by Fargate: mapped for EC2, which cannot serve Fargate pods. */
  readonly warnings: readonly string[];
}

/**
 * The mappings for a cluster's node roles. A role shared by Linux and Windows node groups gets the
 * union of groups; ARNs are written without path, as aws-auth requires.
 */
export function nodeMappings(sources: readonly NodeRoleSource[]): NodeMappings {
  interface Acc {
    rolearn: string;
    ec2: boolean;
    fargate: boolean;
    groups: Set<string>;
  }
  const byKey = new Map<string, Acc>();
  for (const source of sources) {
    const rolearn = stripRolePath(source.roleArn);
    const key = arnKey(rolearn);
    let acc = byKey.get(key);
    if (acc === undefined) {
      acc = { rolearn, ec2: false, fargate: false, groups: new Set([GROUP_BOOTSTRAPPERS, GROUP_NODES]) };
      byKey.set(key, acc);
    }
    if (source.kind === 'fargate') {
      acc.fargate = true;
      acc.groups.add(GROUP_NODE_PROXIER);
    } else {
      acc.ec2 = true;
      if (source.kind === 'nodegroup' && isWindowsAmiType(source.amiType)) acc.groups.add(GROUP_KUBE_PROXY_WINDOWS);
    }
  }
  const warnings: string[] = [];
  const entries = [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, acc]): Extract<Entry, { kind: 'role' }> => {
      if (acc.ec2 && acc.fargate) {
        warnings.push(`role ${acc.rolearn} is used by EC2 nodes and by a Fargate profile; it is mapped for EC2 nodes`);
      }
      const username = acc.ec2 ? EC2_NODE_USERNAME : FARGATE_NODE_USERNAME;
      return { kind: 'role', rolearn: acc.rolearn, username, groups: orderGroups(acc.groups) };
    });
  return { entries, warnings };
}

/** Whether a username is one EKS itself writes for nodes (EC2 or Fargate). */
export function isCanonicalNodeUsername(username: string): boolean {
  return username === EC2_NODE_USERNAME || username === FARGATE_NODE_USERNAME;
}

/**
 * The node mapping to write for a role that already has a live entry. The live entry's groups are
 * kept (a node mapping is never weakened) and so is a live username that EKS itself writes; a
 * username someone edited into something else (the nodes could not register with it) is restored.
 */
export function reconcileNodeEntry(derived: Extract<Entry, { kind: 'role' }>, live: Entry | undefined): Extract<Entry, { kind: 'role' }> {
  if (live === undefined || live.kind !== 'role') return derived;
  const username = isCanonicalNodeUsername(live.username) ? live.username : derived.username;
  return { ...derived, username, groups: orderGroups([...derived.groups, ...live.groups]) };
}
