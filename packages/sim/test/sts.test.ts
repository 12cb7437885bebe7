/** STS over the wire: AssumeRole (trust, ExternalId, durations), GetCallerIdentity, and request authentication. */

import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { describe, expect, it } from 'vitest';
import { assumeSpoke, type Creds, demoWorld, hubCreds, sts } from './helpers.js';
import { caught, expectSdkError } from './wire.js';

const PAYMENTS = '111122223333';
const ANALYTICS = '444455556666';
const SPOKE = (account: string): string => `arn:aws:iam::${account}:role/eks-auth-hub-spoke`;

const h = useSimulator(demoWorld, { env: false });

describe('AssumeRole', () => {
  it('issues temporary credentials and names the assumed-role session', async () => {
    const before = Date.now();
    const out = await sts(h.sim, hubCreds(h.sim)).send(
      new AssumeRoleCommand({ RoleArn: SPOKE(PAYMENTS), RoleSessionName: 'reconcile-42', ExternalId: 'example-external-id' }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const c = out.Credentials;
    expect(c?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c?.SecretAccessKey).toHaveLength(40);
    expect(c?.SessionToken?.length).toBeGreaterThan(20);
    expect(c?.Expiration).toBeInstanceOf(Date);
    const lifetime = (c?.Expiration?.getTime() ?? 0) - before;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3601_000);
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PAYMENTS}:assumed-role/eks-auth-hub-spoke/reconcile-42`);
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:reconcile-42$/);
  });

  it('honours DurationSeconds and refuses one beyond the MaxSessionDuration of the role', async () => {
    const out = await sts(h.sim, hubCreds(h.sim)).send(
      new AssumeRoleCommand({
        RoleArn: SPOKE(PAYMENTS),
        RoleSessionName: 'short',
        ExternalId: 'example-external-id',
        DurationSeconds: 900,
      }),
    );
    const lifetime = (out.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    expect(lifetime).toBeGreaterThan(880_000);
    expect(lifetime).toBeLessThanOrEqual(901_000);
    const error = await caught(
      sts(h.sim, hubCreds(h.sim)).send(
        new AssumeRoleCommand({
          RoleArn: SPOKE(PAYMENTS),
          RoleSessionName: 'long',
          ExternalId: 'example-external-id',
          DurationSeconds: 7200,
        }),
      ),
    );
    expectSdkError(error, 'ValidationError', 400);
  });

  it('refuses a principal the trust policy does not name', async () => {
    // ci-deployer trusts nobody.
    const untrusted = await caught(
      sts(h.sim, hubCreds(h.sim)).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/ci-deployer`, RoleSessionName: 'hub' }),
      ),
    );
    const e = expectSdkError(untrusted, 'AccessDenied', 403);
    expect(e.message).toContain('arn:aws:iam::999988887777:user/eks-auth-hub');
    expect(e.message).toContain('sts:AssumeRole');
    expect(e.$fault).toBe('client');

    // The spoke in one account is not trusted by the spoke in another (only the hub user is).
    const spoke = await assumeSpoke(h.sim, PAYMENTS);
    const chained = await caught(
      sts(h.sim, spoke).send(
        new AssumeRoleCommand({ RoleArn: SPOKE(ANALYTICS), RoleSessionName: 'hop', ExternalId: 'example-external-id' }),
      ),
    );
    expectSdkError(chained, 'AccessDenied', 403);
  });

  it('refuses a role that does not exist, and a role ARN without its path', async () => {
    const missing = await caught(
      sts(h.sim, hubCreds(h.sim)).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/no-such-role`, RoleSessionName: 'hub' }),
      ),
    );
    expectSdkError(missing, 'AccessDenied', 403);
    h.sim.control.createRole(PAYMENTS, 'pathed', '/team/', [{ principal: h.sim.world.hub.arn }]);
    const withoutPath = await caught(
      sts(h.sim, hubCreds(h.sim)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/pathed`, RoleSessionName: 'hub' })),
    );
    expectSdkError(withoutPath, 'AccessDenied', 403);
    const withPath = await sts(h.sim, hubCreds(h.sim)).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PAYMENTS}:role/team/pathed`, RoleSessionName: 'hub' }),
    );
    // STS ARNs never carry the path.
    expect(withPath.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PAYMENTS}:assumed-role/pathed/hub`);
  });

  it('refuses a wrong or missing ExternalId', async () => {
    const wrong = await caught(
      sts(h.sim, hubCreds(h.sim)).send(
        new AssumeRoleCommand({ RoleArn: SPOKE(PAYMENTS), RoleSessionName: 'hub', ExternalId: 'not-the-id' }),
      ),
    );
    expectSdkError(wrong, 'AccessDenied', 403);
    const missing = await caught(
      sts(h.sim, hubCreds(h.sim)).send(new AssumeRoleCommand({ RoleArn: SPOKE(PAYMENTS), RoleSessionName: 'hub' })),
    );
    expectSdkError(missing, 'AccessDenied', 403);
  });

  it('accepts a trust naming the caller role (role chaining) or the caller account root', async () => {
    h.sim.control.createRole(ANALYTICS, 'chained-target', '/', [{ principal: SPOKE(PAYMENTS) }]);
    h.sim.control.createRole(ANALYTICS, 'root-trusting', '/', [{ principal: 'arn:aws:iam::999988887777:root' }]);
    const spoke = await assumeSpoke(h.sim, PAYMENTS);
    const chained = await sts(h.sim, spoke).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ANALYTICS}:role/chained-target`, RoleSessionName: 'hop' }),
    );
    expect(chained.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ANALYTICS}:assumed-role/chained-target/hop`);
    // The hub user is not the spoke role: the role-only trust refuses it.
    const direct = await caught(
      sts(h.sim, hubCreds(h.sim)).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ANALYTICS}:role/chained-target`, RoleSessionName: 'hub' }),
      ),
    );
    expectSdkError(direct, 'AccessDenied', 403);
    const viaRoot = await sts(h.sim, hubCreds(h.sim)).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ANALYTICS}:role/root-trusting`, RoleSessionName: 'hub' }),
    );
    expect(viaRoot.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ANALYTICS}:assumed-role/root-trusting/hub`);
  });

  it('validates the session name', async () => {
    const error = await caught(
      sts(h.sim, hubCreds(h.sim)).send(
        new AssumeRoleCommand({ RoleArn: SPOKE(PAYMENTS), RoleSessionName: 'has space', ExternalId: 'example-external-id' }),
      ),
    );
    expectSdkError(error, 'ValidationError', 400);
  });
});

describe('GetCallerIdentity', () => {
  it('names the hub user', async () => {
    const out = await sts(h.sim, hubCreds(h.sim)).send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe('arn:aws:iam::999988887777:user/eks-auth-hub');
    expect(out.Account).toBe('999988887777');
    expect(out.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('names an assumed session in the target account', async () => {
    const assumed = await sts(h.sim, hubCreds(h.sim)).send(
      new AssumeRoleCommand({ RoleArn: SPOKE(ANALYTICS), RoleSessionName: 'who-am-i', ExternalId: 'example-external-id' }),
    );
    const c = assumed.Credentials;
    const creds: Creds = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
    };
    const out = await sts(h.sim, creds, 'us-east-1').send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe(`arn:aws:sts::${ANALYTICS}:assumed-role/eks-auth-hub-spoke/who-am-i`);
    expect(out.Account).toBe(ANALYTICS);
    expect(out.UserId).toBe(assumed.AssumedRoleUser?.AssumedRoleId);
  });
});

describe('request authentication', () => {
  it('refuses a request signed with the wrong secret', async () => {
    const error = await caught(sts(h.sim, { ...hubCreds(h.sim), secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})));
    expectSdkError(error, 'SignatureDoesNotMatch', 403);
  });

  it('refuses an access key it never issued', async () => {
    const error = await caught(
      sts(h.sim, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'y'.repeat(40) }).send(new GetCallerIdentityCommand({})),
    );
    expectSdkError(error, 'InvalidClientTokenId', 403);
  });

  it('refuses a session whose token was altered or left out', async () => {
    const spoke = await assumeSpoke(h.sim, PAYMENTS);
    const token = spoke.sessionToken ?? '';
    const altered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const error = await caught(sts(h.sim, { ...spoke, sessionToken: altered }).send(new GetCallerIdentityCommand({})));
    expectSdkError(error, 'InvalidClientTokenId', 403);
    const without = await caught(
      sts(h.sim, { accessKeyId: spoke.accessKeyId, secretAccessKey: spoke.secretAccessKey }).send(new GetCallerIdentityCommand({})),
    );
    expectSdkError(without, 'InvalidClientTokenId', 403);
    // The untouched session still works.
    expect((await sts(h.sim, spoke).send(new GetCallerIdentityCommand({}))).Account).toBe(PAYMENTS);
  });

  it('refuses an expired session with ExpiredToken', async () => {
    const spoke = await assumeSpoke(h.sim, PAYMENTS);
    expect((await sts(h.sim, spoke).send(new GetCallerIdentityCommand({}))).Account).toBe(PAYMENTS);
    h.sim.control.advanceClock(3700);
    try {
      const error = await caught(sts(h.sim, spoke).send(new GetCallerIdentityCommand({})));
      const e = expectSdkError(error, 'ExpiredToken', 403);
      expect(e.message).toContain('expired');
    } finally {
      h.sim.control.advanceClock(-3700);
    }
  });
});
