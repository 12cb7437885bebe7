/**
 * Role sessions evaluated on every call, as IAM does: a session of a deleted role, of a role created
 * again under the same name, or issued before "Revoke active sessions" is denied every signed call
 * (Query protocol: 403 `AccessDenied`; EKS: 403 `AccessDeniedException`), while a fresh AssumeRole
 * works (or is refused, when the role is gone). GetCallerIdentity needs no permission, so the
 * session still names itself, and a cluster token made from it still authenticates.
 */

import { DescribeClusterCommand, ListClustersCommand } from '@aws-sdk/client-eks';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/simulator.js';
import { assumeSpoke, type Creds, clusterToken, demoWorld, eks, hubCreds, iam, kubeClient, sts } from './helpers.js';
import { caught, clusterEndpoint, control, expectSdkError, readAwsAuth } from './wire.js';

const PLATFORM = '555566667777';
const SPOKE = 'eks-auth-hub-spoke';
const SPOKE_ARN = `arn:aws:iam::${PLATFORM}:role/${SPOKE}`;
const SESSION_ARN = `arn:aws:sts::${PLATFORM}:assumed-role/${SPOKE}/eks-auth-hub`;
const SSO = '/aws-reserved/sso.amazonaws.com/';

let sim: Simulator;
let old: Creds;
let endpoint: string;
beforeEach(async () => {
  sim = await startSimulator({ world: demoWorld() });
  old = await assumeSpoke(sim, PLATFORM);
  endpoint = await clusterEndpoint(sim, old, 'eu-central-1', 'platform-tools');
});
afterEach(async () => {
  await sim.close();
});

const listRoles = (creds: Creds): Promise<unknown> => iam(sim, creds).send(new ListRolesCommand({ PathPrefix: SSO, MaxItems: 1000 }));
const describeCluster = (creds: Creds): Promise<unknown> =>
  eks(sim, creds, 'eu-central-1').send(new DescribeClusterCommand({ name: 'platform-tools' }));

/** Every signed call of `creds` but GetCallerIdentity is denied, with IAM's message: explicit (revoked) or implicit (no role). */
async function expectDenied(creds: Creds, deny: 'explicit' | 'implicit'): Promise<void> {
  const why = (action: string): string =>
    deny === 'explicit'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  const listing = expectSdkError(await caught(listRoles(creds)), 'AccessDenied', 403);
  expect(listing.message).toBe(
    `User: ${SESSION_ARN} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::${PLATFORM}:role${SSO} ${why('iam:ListRoles')}`,
  );
  const described = expectSdkError(await caught(describeCluster(creds)), 'AccessDeniedException', 403);
  expect(described.message).toBe(
    `User: ${SESSION_ARN} is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:eu-central-1:${PLATFORM}:cluster/platform-tools ${why('eks:DescribeCluster')}`,
  );
  expectSdkError(await caught(eks(sim, creds, 'eu-central-1').send(new ListClustersCommand({}))), 'AccessDeniedException', 403);
  // Role chaining is a call like any other.
  const chained = sts(sim, creds).send(
    new AssumeRoleCommand({ RoleArn: SPOKE_ARN, RoleSessionName: 'chained', ExternalId: 'example-external-id' }),
  );
  expectSdkError(await caught(chained), 'AccessDenied', 403);
}

/** GetCallerIdentity answers, and a cluster token made from `creds` still authenticates (aws-auth maps the role by ARN). */
async function expectStillNamesItself(creds: Creds): Promise<void> {
  const me = await sts(sim, creds).send(new GetCallerIdentityCommand({}));
  expect(me.Arn).toBe(SESSION_ARN);
  const token = await clusterToken(creds, 'platform-tools', { region: 'eu-central-1' });
  const read = await readAwsAuth(kubeClient(endpoint, sim.caPem, token));
  expect(read.metadata?.name).toBe('aws-auth');
}

describe('a session evaluated on every call', () => {
  it('works until its role is changed', async () => {
    await listRoles(old);
    await describeCluster(old);
  });

  it('revoked ("Revoke active sessions"): denied explicitly; sessions assumed afterwards work', async () => {
    const { status, json } = await control(sim, 'POST', 'roles/revoke-sessions', { account: PLATFORM, name: SPOKE });
    expect(status).toBe(200);
    expect(Date.parse((json as { revokedBefore: string }).revokedBefore)).toBeLessThanOrEqual(Date.now());
    await expectDenied(old, 'explicit');
    await expectStillNamesItself(old);
    const fresh = await assumeSpoke(sim, PLATFORM);
    await listRoles(fresh);
    await describeCluster(fresh);
    expect(sim.control.counters()['iam:ListRoles']?.outcomes).toEqual({ AccessDenied: 1, ok: 1 });
  });

  it('of a role created again under the same name: denied (another role id); a new session works', async () => {
    const before = sim.world.account(PLATFORM).roles.get(SPOKE)?.roleId;
    const { status, json } = await control(sim, 'POST', 'roles/recreate', { account: PLATFORM, name: SPOKE });
    expect(status).toBe(200);
    const answer = json as { roleArn: string; roleId: string };
    expect(answer.roleArn).toBe(SPOKE_ARN);
    expect(answer.roleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(answer.roleId).not.toBe(before);
    await expectDenied(old, 'implicit');
    await expectStillNamesItself(old);
    const fresh = await assumeSpoke(sim, PLATFORM);
    await listRoles(fresh);
    const me = await sts(sim, fresh).send(new GetCallerIdentityCommand({}));
    expect(me.UserId).toBe(`${answer.roleId}:eks-auth-hub`);
  });

  it('of a deleted role: denied, and AssumeRole is refused until the role exists again', async () => {
    expect((await control(sim, 'DELETE', 'roles', { account: PLATFORM, name: SPOKE })).status).toBe(200);
    await expectDenied(old, 'implicit');
    await expectStillNamesItself(old);
    const refused = expectSdkError(await caught(assumeSpoke(sim, PLATFORM)), 'AccessDenied', 403);
    expect(refused.message).toBe(`User: ${sim.world.hub.arn} is not authorized to perform: sts:AssumeRole on resource: ${SPOKE_ARN}`);
    sim.control.createRole(PLATFORM, SPOKE, '/', [{ principal: sim.world.hub.arn, externalId: 'example-external-id' }]);
    // Created again: still not the old principal.
    await expectDenied(old, 'implicit');
    await listRoles(await assumeSpoke(sim, PLATFORM));
  });

  it("a session younger than IAM's consistency window is not known yet: an invalid token everywhere, until it is", async () => {
    expect((await control(sim, 'PUT', 'iam/consistency', { sessionPropagationMs: 400 })).status).toBe(200);
    const young = await assumeSpoke(sim, PLATFORM);
    expect(expectSdkError(await caught(listRoles(young)), 'InvalidClientTokenId', 403).message).toBe(
      'The security token included in the request is invalid.',
    );
    expectSdkError(await caught(describeCluster(young)), 'UnrecognizedClientException', 403);
    expectSdkError(await caught(sts(sim, young).send(new GetCallerIdentityCommand({}))), 'InvalidClientTokenId', 403);
    const token = await clusterToken(young, 'platform-tools', { region: 'eu-central-1' });
    const refused = await caught(readAwsAuth(kubeClient(endpoint, sim.caPem, token)));
    expect((refused as { code?: number }).code).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await listRoles(young);
    await readAwsAuth(kubeClient(endpoint, sim.caPem, token));
    expect((await control(sim, 'PUT', 'iam/consistency', { sessionPropagationMs: -1 })).status).toBe(400);
  });

  it('revoking the sessions of a role that does not exist is refused', async () => {
    const { status, json } = await control(sim, 'POST', 'roles/revoke-sessions', { account: PLATFORM, name: 'no-such-role' });
    expect(status).toBe(404);
    expect(json).toEqual({ error: 'NoSuchEntity', message: 'The role with name no-such-role cannot be found.' });
    // The hub's own key (no session) is not affected by any of this.
    await sts(sim, hubCreds(sim)).send(new GetCallerIdentityCommand({}));
  });
});
