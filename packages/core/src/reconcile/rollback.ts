/**
 * Puts back an earlier version of a cluster's aws-auth from its history, through the same guard
 * checks, history keeping and access verification as a pass.
 */
import { roleArn } from '../arn.js';
import { describeError, HubError } from '../errors.js';
import { planRollback } from '../history.js';
import type { DesiredState } from '../model.js';
import type { Ports } from '../ports.js';
import type { ClusterRef } from '../world.js';
import { passContext } from './context.js';
import type { RollbackResult } from './results.js';
import { immutableError, keepHistory, verifyAccess } from './safeguards.js';

/**
 * Puts back version `to` of a cluster's aws-auth history (1 = the most recent one replaced), through
 * the same guard checks, history keeping and access verification as a pass.
 */
export async function rollbackCluster(
  state: DesiredState,
  ports: Ports,
  clusterName: string,
  to: number,
  passId: string,
): Promise<RollbackResult> {
  const cluster = state.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) throw new HubError('user', 'config.unknown-cluster', `no cluster named ${clusterName} in ${state.file}`);
  const ref: ClusterRef = { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
  const base = { cluster: cluster.name, version: to };
  // A rollback has no pass deadline: its port calls are given no signal.
  const ctx = passContext(state, ports, { passId, dryRun: false });
  try {
    await ports.sessions.open(cluster.account, cluster.partition);
    const endpoint = await ports.clusters.describe(ref);
    const at = { ref, endpoint };
    const live = await ports.awsAuth.read(ref, endpoint);
    const history = await ports.awsAuth.readHistory(ref, endpoint);
    const planned = planRollback(live, history?.entries ?? [], to, {
      hubPrincipalArn: roleArn(cluster.partition, cluster.account, state.hub.roleName),
      maxRemovalRatio: state.hub.guard.maxRemovalRatio,
    });
    if (planned.refusals.length > 0) return { ...base, outcome: 'blocked', refusals: planned.refusals };
    if (planned.noop) return { ...base, outcome: 'unchanged', refusals: [] };
    if (live?.immutable === true) return { ...base, outcome: 'failed', refusals: [], error: immutableError(cluster.name) };
    if (live !== null) await keepHistory(ctx, at, live);
    await ports.awsAuth.write(ref, endpoint, {
      create: live === null,
      resourceVersion: live?.resourceVersion,
      data: planned.data,
      annotations: live?.annotations ?? {},
    });
    const lockout = await verifyAccess(ctx, at, live);
    if (lockout !== undefined)
      return {
        ...base,
        outcome: 'failed',
        refusals: [],
        lockout,
        error: { kind: 'terminal', code: 'hub.lockout', message: lockout.message },
      };
    return { ...base, outcome: 'applied', refusals: [] };
  } catch (error) {
    if (error instanceof HubError && error.kind === 'user') throw error;
    return { ...base, outcome: 'failed', refusals: [], error: describeError(error) };
  }
}
