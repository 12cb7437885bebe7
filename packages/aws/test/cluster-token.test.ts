import { verifyToken, World, worldSchema } from '@eks-auth-hub/sim';
import { describe, expect, it } from 'vitest';
import { ClusterTokens, execCredential, mintClusterToken, TOKEN_PREFIX, TOKEN_REUSE_MS } from '../src/cluster-token.js';
import type { SessionCredentials } from '../src/sessions.js';

const credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE12',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const signingDate = new Date('2026-01-02T03:04:05Z');

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

describe('mintClusterToken', () => {
  it('is exactly the token for fixed credentials and signing date', async () => {
    const { token, expiresAt } = await mintClusterToken(credentials, 'payments-prod', 'eu-west-1', signingDate);
    expect(token).toBe(
      'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotU2VjdXJpdHktVG9rZW49c2Vzc2lvbi10b2tlbi1leGFtcGxlJlgtQW16LUFsZ29yaXRobT1BV1M0LUhNQUMtU0hBMjU2JlgtQW16LUNyZWRlbnRpYWw9QVNJQUVYQU1QTEVFWEFNUExFMTIlMkYyMDI2MDEwMiUyRmV1LXdlc3QtMSUyRnN0cyUyRmF3czRfcmVxdWVzdCZYLUFtei1EYXRlPTIwMjYwMTAyVDAzMDQwNVomWC1BbXotRXhwaXJlcz02MCZYLUFtei1TaWduZWRIZWFkZXJzPWhvc3QlM0J4LWs4cy1hd3MtaWQmWC1BbXotU2lnbmF0dXJlPWExYmZjZjZiMzk2ZDgzYmMwOGZkOTVhMWY4MTljMjg3ZjU4MTliOGY5NTFiMTE2YjU0MDEzOWJkYzg1N2NkNDE',
    );
    // The signature the AWS CLI's signer (botocore SigV4QueryAuth, as `aws eks get-token` uses it)
    // computes for the same credentials, cluster, region and time.
    expect(decode(token).searchParams.get('X-Amz-Signature')).toBe('a1bfcf6b396d83bc08fd95a1f819c287f5819b8f951b116b540139bdc857cd41');
    expect(expiresAt.toISOString()).toBe('2026-01-02T03:18:05.000Z');
  });

  it('presigns GetCallerIdentity for the regional STS host with x-k8s-aws-id signed and a 60 s expiry', async () => {
    const { token } = await mintClusterToken(credentials, 'c1', 'cn-north-1', signingDate);
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token).not.toContain('=');
    const url = decode(token);
    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'ASIAEXAMPLEEXAMPLE12/20260102/cn-north-1/sts/aws4_request',
      'X-Amz-Date': '20260102T030405Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Security-Token': 'session-token-example',
    });
    expect([...url.searchParams.keys()].sort()).toEqual(
      [
        'Action',
        'Version',
        'X-Amz-Algorithm',
        'X-Amz-Credential',
        'X-Amz-Date',
        'X-Amz-Expires',
        'X-Amz-Security-Token',
        'X-Amz-Signature',
        'X-Amz-SignedHeaders',
      ].sort(),
    );
  });

  it('differs per cluster name, and an independent verifier accepts it only for its own cluster', async () => {
    const world = new World(
      worldSchema.parse({
        apiVersion: 'eks-auth-hub-sim/v1',
        management: {
          account: '999988887777',
          principal: { accessKeyId: 'AKIAEXAMPLEEXAMPLE12', secretAccessKey: credentials.secretAccessKey },
        },
      }),
    );
    const now = new Date();
    const hubKey = { accessKeyId: 'AKIAEXAMPLEEXAMPLE12', secretAccessKey: credentials.secretAccessKey };
    const a = await mintClusterToken(hubKey, 'cluster-a', 'eu-west-1', now);
    const b = await mintClusterToken(hubKey, 'cluster-b', 'eu-west-1', now);
    expect(a.token).not.toBe(b.token);
    expect(await verifyToken(a.token, 'cluster-a', world)).toMatchObject({
      ok: true,
      identity: { arn: 'arn:aws:iam::999988887777:user/eks-auth-hub' },
    });
    expect(await verifyToken(a.token, 'cluster-b', world)).toEqual({ ok: false, reason: 'STS: SignatureDoesNotMatch' });
  });

  it('never puts the secret key in the token', async () => {
    const { token } = await mintClusterToken(credentials, 'c1', 'eu-west-1', signingDate);
    expect(decode(token).toString()).not.toContain(credentials.secretAccessKey);
    expect(decode(token).toString()).not.toContain(encodeURIComponent(credentials.secretAccessKey));
  });
});

describe('execCredential', () => {
  it('is what kubectl expects, in the requested apiVersion', async () => {
    const minted = await mintClusterToken(credentials, 'c1', 'eu-west-1', signingDate);
    expect(execCredential(minted)).toEqual({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      spec: {},
      status: { expirationTimestamp: '2026-01-02T03:18:05Z', token: minted.token },
    });
    expect(execCredential(minted, 'client.authentication.k8s.io/v1').apiVersion).toBe('client.authentication.k8s.io/v1');
  });
});

describe('ClusterTokens', () => {
  const ref = (name: string) => ({ account: '111122223333', region: 'eu-west-1', name, partition: 'aws' as const });
  function tokens(max?: number) {
    let now = signingDate.getTime();
    let session: SessionCredentials = { ...credentials, expiration: new Date(now + 3_600_000) };
    const t = new ClusterTokens({ credentials: async () => session }, () => now, max);
    return {
      t,
      advance: (ms: number) => {
        now += ms;
      },
      newSession: (accessKeyId: string, expiresInMs = 3_600_000) => {
        session = { ...credentials, accessKeyId, expiration: new Date(now + expiresInMs) };
      },
    };
  }

  it("reuses a cluster's token for 10 minutes, then makes a new one", async () => {
    const { t, advance } = tokens();
    const first = await t.token(ref('c1'));
    advance(TOKEN_REUSE_MS - 1);
    expect(await t.token(ref('c1'))).toBe(first);
    expect(t.minted).toBe(1);
    advance(1);
    expect(await t.token(ref('c1'))).not.toBe(first);
    expect(t.minted).toBe(2);
  });

  it('never reuses a token past the session that signed it, nor after forget', async () => {
    const { t, advance, newSession } = tokens();
    newSession('ASIASHORTSESSION0001', 60_000);
    const first = await t.token(ref('c1'));
    advance(60_000);
    newSession('ASIANEWSESSION000002');
    const second = await t.token(ref('c1'));
    expect(second).not.toBe(first);
    t.forget(ref('c1'));
    expect(await t.token(ref('c1'))).toBe(second); // the same inputs sign the same token: made again
    expect(t.minted).toBe(3);
  });

  it('keeps the tokens of the most recently used clusters only', async () => {
    const { t } = tokens(3);
    for (const name of ['a', 'b', 'c', 'd']) await t.token(ref(name));
    expect(t.size).toBe(3);
    await t.token(ref('d'));
    expect(t.minted).toBe(4);
    await t.token(ref('a'));
    expect(t.minted).toBe(5);
  });
});
