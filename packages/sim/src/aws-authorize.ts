/** IAM's per-call verdict on a session's permissions, shared by the simulated STS, IAM and EKS. */
import type { Protocol } from './aws-protocol.js';
import { SimError } from './sim-error.js';
import type { World } from './world.js';
import type { Credential } from './world-model.js';

/**
 * IAM's verdict on a session, evaluated on every call (not when it was issued): a session whose role
 * is gone (deleted, or created again under the same name: another role id) is implicitly denied
 * everything, one issued before its role's "Revoke active sessions" time is explicitly denied by the
 * `AWSRevokeOlderSessions` policy. HTTP 403 with the code each protocol uses (`AccessDenied` in the
 * Query protocol, `AccessDeniedException` in EKS's REST-JSON) and IAM's message form. Never asked for
 * `sts:GetCallerIdentity`, which needs no permission and which no policy can deny.
 */
export function authorize(world: World, caller: Credential, action: string, resource: string, protocol: Protocol): void {
  const denial = world.sessionDenial(caller);
  if (denial === undefined) return;
  const why =
    denial === 'explicit'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  throw new SimError(
    403,
    protocol === 'query' ? 'AccessDenied' : 'AccessDeniedException',
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
  );
}
