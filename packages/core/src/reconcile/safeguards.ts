/**
 * The safeguards around a write: an immutable aws-auth is refused before anything is written, the
 * version being replaced is kept in the cluster's history first, and after the write the hub checks
 * that it can still get in, undoing a lockout through the recovery principal.
 */
import { ConflictError, describeError } from '../errors.js';
import { appendHistory } from '../history.js';
import type { ObservedAwsAuth } from '../world.js';
import type { ClusterAddress, PassContext } from './context.js';
import type { ClusterResult } from './results.js';

export function immutableError(clusterName: string): NonNullable<ClusterResult['error']> {
  return {
    kind: 'user',
    code: 'kube.immutable',
    message: `kube-system/aws-auth of ${clusterName} is immutable (immutable: true): the API server refuses any change to its data, so the hub changes nothing; re-create it without immutable to let the hub manage it`,
  };
}

/** Appends the live version to the cluster's history (re-read once on a conflict). */
export async function keepHistory(ctx: PassContext, at: ClusterAddress, observed: ObservedAwsAuth): Promise<void> {
  const { ports, deadline: signal } = ctx;
  const { ref, endpoint } = at;
  const now = ctx.now();
  for (let attempt = 1; ; attempt++) {
    const history = await ports.awsAuth.readHistory(ref, endpoint, signal);
    const kept = history?.entries ?? [];
    const next = appendHistory(kept, observed, now, ctx.passId);
    if (next === kept) return; // this version is kept already
    try {
      await ports.awsAuth.writeHistory(ref, endpoint, next, history?.resourceVersion, signal);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 3) throw error;
    }
  }
}

/**
 * After a write the hub must still get in with a freshly made token. If it cannot, that is a lockout:
 * reported, and undone through the recovery principal (the cluster's creator) when there is one.
 * Returns undefined when access is fine (or cannot be judged: a timeout is not a lockout).
 */
export async function verifyAccess(
  ctx: PassContext,
  at: ClusterAddress,
  previous: ObservedAwsAuth | null,
): Promise<ClusterResult['lockout']> {
  const { ports, deadline: signal } = ctx;
  const { ref, endpoint } = at;
  const lockedOut = async (): Promise<string | undefined> => {
    try {
      await ports.awsAuth.verify(ref, endpoint, signal);
      return undefined;
    } catch (error) {
      const described = describeError(error);
      return described.code === 'kube.unauthorized' || described.code === 'kube.forbidden' ? described.message : undefined;
    }
  };
  const reason = await lockedOut();
  if (reason === undefined) return undefined;
  const lost = `the hub can no longer authenticate to ${ref.name} after its write (${reason})`;
  if (ports.recovery === undefined)
    return { restored: false, message: `${lost}; no recovery role is configured: restore it from kube-system/eks-auth-hub-history` };
  if (previous === null) return { restored: false, message: `${lost}; the ConfigMap did not exist before, nothing to restore` };
  try {
    const now = await ports.recovery.read(ref, endpoint, signal);
    await ports.recovery.write(
      ref,
      endpoint,
      {
        create: now === null,
        resourceVersion: now?.resourceVersion,
        data: previous.data,
        annotations: previous.annotations,
      },
      signal,
    );
  } catch (error) {
    return { restored: false, message: `${lost}; restoring through the recovery role failed: ${describeError(error).message}` };
  }
  const still = await lockedOut();
  return still === undefined
    ? { restored: true, message: `${lost}; the previous aws-auth was restored through the recovery role` }
    : { restored: false, message: `${lost}; the previous aws-auth was restored but the hub is still locked out (${still})` };
}
