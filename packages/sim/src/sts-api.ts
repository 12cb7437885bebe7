/** The simulated STS: GetCallerIdentity and AssumeRole (trust, external id, session length), in the Query protocol. */
import type { ServerResponse } from 'node:http';
import { authorize } from './aws-authorize.js';
import { type AwsApiContext, el, one, type RawRequest, sendJson, sendXml } from './aws-protocol.js';
import { SimError } from './sim-error.js';
import type { Credential, Role } from './world-model.js';

/** Whether one trust entry names the caller: its user ARN, its role (for a session), or its account root. */
function trustNames(trust: { principal: string }, caller: Credential, partition: string): boolean {
  const principal = trust.principal.toLowerCase();
  if (principal === `arn:${partition}:iam::${caller.account}:root`) return true;
  if (principal === caller.arn.toLowerCase()) return true;
  return caller.roleArn !== undefined && principal === caller.roleArn.toLowerCase();
}

export function handleSts(
  ctx: AwsApiContext,
  caller: Credential,
  form: Record<string, string | string[]>,
  request: RawRequest,
  res: ServerResponse,
  requestId: string,
): void {
  const action = one(form, 'Action');
  const world = ctx.world;
  if (action === 'GetCallerIdentity') {
    const result = { Arn: caller.arn, UserId: caller.userId, Account: caller.account };
    if (String(request.headers.accept ?? '').includes('application/json')) {
      sendJson(
        res,
        { GetCallerIdentityResponse: { GetCallerIdentityResult: result, ResponseMetadata: { RequestId: requestId } } },
        requestId,
      );
    } else {
      sendXml(
        res,
        'sts',
        'GetCallerIdentity',
        `${el('Arn', result.Arn)}${el('UserId', result.UserId)}${el('Account', result.Account)}`,
        requestId,
      );
    }
    return;
  }
  if (action !== 'AssumeRole') throw new SimError(400, 'InvalidAction', `Could not find operation ${action ?? ''} for version 2011-06-15`);
  const roleArn = one(form, 'RoleArn') ?? '';
  const sessionName = one(form, 'RoleSessionName') ?? '';
  const externalId = one(form, 'ExternalId');
  const durationText = one(form, 'DurationSeconds');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new SimError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
    );
  }
  const parsed = /^arn:([^:]+):iam::([0-9]{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/.exec(roleArn);
  const denied = (): SimError =>
    new SimError(403, 'AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  if (parsed === null) throw new SimError(400, 'ValidationError', `${roleArn} is invalid`);
  const [, partition, accountId = '', name = ''] = parsed;
  // A session (role chaining) is evaluated like any other call first.
  authorize(world, caller, 'sts:AssumeRole', roleArn, 'query');
  if (partition !== world.partition) throw denied();
  const role: Role | undefined = world.accounts.get(accountId)?.roles.get(name.toLowerCase());
  // The ARN must name the role exactly, path included.
  if (role === undefined || role.arn !== roleArn) throw denied();
  const trusted = role.trust.filter((t) => trustNames(t, caller, world.partition));
  if (!trusted.some((t) => t.externalId === undefined || t.externalId === externalId)) throw denied();
  const maxDuration = caller.roleArn !== undefined ? 3600 : role.maxSessionDurationSeconds;
  const duration = durationText === undefined ? 3600 : Number(durationText);
  if (!Number.isInteger(duration) || duration < 900 || duration > maxDuration) {
    throw new SimError(400, 'ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
  }
  const session = world.issueSession(role, accountId, sessionName, duration);
  const credentials =
    el('AccessKeyId', session.accessKeyId) +
    el('SecretAccessKey', session.secretAccessKey) +
    el('SessionToken', session.sessionToken) +
    el('Expiration', new Date(session.expiresAt ?? 0).toISOString());
  sendXml(
    res,
    'sts',
    'AssumeRole',
    `<Credentials>${credentials}</Credentials><AssumedRoleUser>${el('AssumedRoleId', session.userId)}${el('Arn', session.arn)}</AssumedRoleUser>`,
    requestId,
  );
}
