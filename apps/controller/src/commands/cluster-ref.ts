/** The cluster a `--cluster NAME` names in the desired state (`history`, `rollback`); an unknown name is a usage error. */
import type { ClusterRef, DesiredState } from '@eks-auth-hub/core';
import { UsageError } from '../cli/usage-error.js';

export function clusterRefOf(state: DesiredState, name: string): ClusterRef {
  const cluster = state.clusters.find((c) => c.name === name);
  if (cluster === undefined)
    throw new UsageError(`no cluster named ${name} in ${state.file}; known: ${state.clusters.map((c) => c.name).join(', ')}`);
  return { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
}
