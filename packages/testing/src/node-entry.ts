/**
 * The aws-auth entry a node role must have, as AWS documents it (EC2 nodes, Fargate, Windows), written
 * out apart from the hub's code so that the tests check the hub against it.
 */

/** How a node role is used in a cluster: by EC2 node groups (or `nodeRoles`), Fargate profiles, Windows nodes. */
export interface NodeRoleUse {
  /** The role ARN without its path. */
  readonly rolearn: string;
  readonly ec2: boolean;
  readonly fargate: boolean;
  readonly windows: boolean;
}

export interface ExpectedEntry {
  readonly rolearn: string;
  readonly username: string;
  readonly groups: readonly string[];
}

export function expectedNodeEntry(n: NodeRoleUse): ExpectedEntry {
  return {
    rolearn: n.rolearn,
    username: n.ec2 ? 'system:node:{{EC2PrivateDNSName}}' : 'system:node:{{SessionName}}',
    groups: [
      'system:bootstrappers',
      'system:nodes',
      ...(n.fargate ? ['system:node-proxier'] : []),
      ...(n.windows ? ['eks:kube-proxy-windows'] : []),
    ],
  };
}
