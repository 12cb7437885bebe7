/**
 * The Kubernetes API's front door, through client-node: every token the authenticator's verifier
 * refuses (401), and authorisation from the cluster's live aws-auth (creator, system:masters, 403,
 * lock-out, authentication mode API).
 */

import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimClusterRef } from '../src/control.js';
import { assumeSpoke, type Creds, clusterToken, demoWorld, hubCreds, kubeClient, sts } from './helpers.js';
import { anonymousClient, caught, clusterEndpoint, expectStatus, expectUnauthorized, freshClient, readAwsAuth, roleEntry } from './wire.js';

const PAYMENTS = '111122223333';
const ANALYTICS = '444455556666';
const PLATFORM = '555566667777';
const PROD: SimClusterRef = { account: PAYMENTS, region: 'eu-west-1', cluster: 'payments-prod' };
const SPOKE_ARN = `arn:aws:iam::${PAYMENTS}:role/eks-auth-hub-spoke`;

const h = useSimulator(demoWorld, { env: false });
let spoke: Creds;
let prod: string;
let prodAwsAuth: Record<string, string>;

beforeAll(async () => {
  spoke = await assumeSpoke(h.sim, PAYMENTS);
  prod = await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-prod');
  prodAwsAuth = h.sim.control.readAwsAuth(PROD)?.data ?? {};
});

/** Reads payments-prod's aws-auth with `token`; the Status body of the refusal, or 'ok'. */
async function readProd(token: string): Promise<'ok' | unknown> {
  try {
    await readAwsAuth(kubeClient(prod, h.sim.caPem, token));
    return 'ok';
  } catch (error) {
    return error;
  }
}

async function expect401(token: string): Promise<void> {
  expectUnauthorized(await readProd(token));
}

/** Temporary credentials for a role in `account` that trusts the hub user (created on first use). */
async function assumeTester(account: string, name = 'tester', path = '/'): Promise<Creds> {
  if (h.sim.world.account(account).roles.get(name.toLowerCase()) === undefined) {
    h.sim.control.createRole(account, name, path, [{ principal: h.sim.world.hub.arn }]);
  }
  const out = await sts(h.sim, hubCreds(h.sim)).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role${path}${name}`, RoleSessionName: 'tester' }),
  );
  const c = out.Credentials;
  return { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' };
}

describe('token verification', () => {
  it('accepts a token minted like aws eks get-token', async () => {
    const token = await clusterToken(spoke, 'payments-prod');
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const cm = await readAwsAuth(kubeClient(prod, h.sim.caPem, token));
    expect(cm.metadata?.name).toBe('aws-auth');
    expect(cm.data?.['mapRoles']).toContain(SPOKE_ARN);
  });

  it('refuses a token minted for another cluster name', async () => {
    await expect401(await clusterToken(spoke, 'payments-staging'));
  });

  it('accepts a token up to 15 minutes old and refuses one older', async () => {
    expect(await readProd(await clusterToken(spoke, 'payments-prod', { signingDate: new Date(Date.now() - 14 * 60_000) }))).toBe('ok');
    await expect401(await clusterToken(spoke, 'payments-prod', { signingDate: new Date(Date.now() - 16 * 60_000) }));
  });

  it('refuses padded base64, a wrong prefix and garbage', async () => {
    const token = await clusterToken(spoke, 'payments-prod');
    await expect401(`${token}=`);
    await expect401(token.replace('k8s-aws-v1.', 'k8s-aws-v2.'));
    await expect401('k8s-aws-v1.bm90IGEgdXJs');
    await expect401(`k8s-aws-v1.${'A'.repeat(5000)}`);
  });

  it('refuses a host that is not STS', async () => {
    await expect401(await clusterToken(spoke, 'payments-prod', { host: 'sts.example.com' }));
    await expect401(await clusterToken(spoke, 'payments-prod', { host: 'sts.eu-west-1.amazonaws.com.evil.example' }));
  });

  it('accepts the global STS host signed for us-east-1, and refuses a scope region the host does not serve', async () => {
    expect(await readProd(await clusterToken(spoke, 'payments-prod', { host: 'sts.amazonaws.com', region: 'us-east-1' }))).toBe('ok');
    expect(await readProd(await clusterToken(spoke, 'payments-prod', { region: 'us-west-2' }))).toBe('ok');
    // STS answers SignatureDoesNotMatch ("Credential should be scoped to a valid region").
    await expect401(await clusterToken(spoke, 'payments-prod', { host: 'sts.eu-west-1.amazonaws.com', region: 'us-east-1' }));
    await expect401(await clusterToken(spoke, 'payments-prod', { host: 'sts.amazonaws.com', region: 'eu-west-1' }));
  });

  it('refuses an extra query parameter', async () => {
    await expect401(await clusterToken(spoke, 'payments-prod', { extraQuery: { 'X-Amz-User-Agent': 'sneaky' } }));
    await expect401(await clusterToken(spoke, 'payments-prod', { extraQuery: { action: 'GetCallerIdentity' } }));
  });

  it('refuses a token whose x-k8s-aws-id header is not signed', async () => {
    await expect401(await clusterToken(spoke, 'payments-prod', { signK8sHeader: false }));
  });

  it('accepts X-Amz-Expires up to 900 and refuses 901', async () => {
    expect(await readProd(await clusterToken(spoke, 'payments-prod', { expiresIn: 900 }))).toBe('ok');
    await expect401(await clusterToken(spoke, 'payments-prod', { expiresIn: 901 }));
  });

  it('refuses a token signed with the wrong secret or an altered session token', async () => {
    await expect401(await clusterToken({ ...spoke, secretAccessKey: 'q'.repeat(40) }, 'payments-prod'));
    await expect401(await clusterToken({ ...spoke, sessionToken: `${spoke.sessionToken ?? ''}x` }, 'payments-prod'));
    await expect401(await clusterToken({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'q'.repeat(40) }, 'payments-prod'));
  });

  it('refuses a token signed by an expired session', async () => {
    const short = await sts(h.sim, hubCreds(h.sim)).send(
      new AssumeRoleCommand({
        RoleArn: SPOKE_ARN,
        RoleSessionName: 'eks-auth-hub',
        ExternalId: 'example-external-id',
        DurationSeconds: 900,
      }),
    );
    const c = short.Credentials;
    const expiring: Creds = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
    };
    const lasting = await assumeSpoke(h.sim, PAYMENTS);
    h.sim.control.advanceClock(1000);
    try {
      // Both tokens are signed "now" on the simulator's clock: only the session differs.
      const signingDate = new Date(h.sim.world.now());
      expect(await readProd(await clusterToken(lasting, 'payments-prod', { signingDate }))).toBe('ok');
      await expect401(await clusterToken(expiring, 'payments-prod', { signingDate }));
    } finally {
      h.sim.control.advanceClock(-1000);
    }
  });

  it('refuses a request without a token', async () => {
    expectUnauthorized(await caught(readAwsAuth(anonymousClient(prod, h.sim.caPem))));
  });
});

describe('authorisation from the live aws-auth', () => {
  it('lets the spoke in through its system:masters mapping, and refuses the unmapped hub user', async () => {
    expect(h.sim.world.cluster(PAYMENTS, 'eu-west-1', 'payments-prod').creator).toBe(`arn:aws:iam::${PAYMENTS}:role/terraform`);
    expect(await readProd(await clusterToken(spoke, 'payments-prod'))).toBe('ok');
    await expect401(await clusterToken(hubCreds(h.sim), 'payments-prod'));
  });

  it('a mapping without system:masters is 403; with it, 200', async () => {
    const tester = await assumeTester(PAYMENTS);
    const testerArn = `arn:aws:iam::${PAYMENTS}:role/tester`;
    const api = await freshClient(h.sim, prod, spoke, 'payments-prod');
    const current = await readAwsAuth(api);
    current.data = { ...current.data, mapRoles: `${current.data?.['mapRoles'] ?? ''}${roleEntry(testerArn, 'tester', ['viewers'])}` };
    await api.replaceNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: current });

    const forbidden = expectStatus(await readProd(await clusterToken(tester, 'payments-prod')), 403, 'Forbidden');
    expect(forbidden.message).toContain(testerArn);
    expect(forbidden.details).toMatchObject({ name: 'aws-auth', kind: 'configmaps' });

    h.sim.control.editAwsAuth(PROD, {
      ...prodAwsAuth,
      mapRoles: `${prodAwsAuth['mapRoles'] ?? ''}${roleEntry(testerArn, 'tester', ['system:masters'])}`,
    });
    expect(await readProd(await clusterToken(tester, 'payments-prod'))).toBe('ok');

    // Duplicate ARNs: the later entry wins.
    h.sim.control.editAwsAuth(PROD, {
      ...prodAwsAuth,
      mapRoles: `${prodAwsAuth['mapRoles'] ?? ''}${roleEntry(testerArn, 'tester', ['system:masters'])}${roleEntry(testerArn, 'tester', ['viewers'])}`,
    });
    expectStatus(await readProd(await clusterToken(tester, 'payments-prod')), 403, 'Forbidden');
    h.sim.control.editAwsAuth(PROD, prodAwsAuth);
  });

  it('matches ARNs without case but never a rolearn with a path', async () => {
    const pathed = await assumeTester(PAYMENTS, 'pathed-tester', '/team/');
    h.sim.control.editAwsAuth(PROD, {
      ...prodAwsAuth,
      mapRoles: `${prodAwsAuth['mapRoles'] ?? ''}${roleEntry(`arn:aws:iam::${PAYMENTS}:role/team/pathed-tester`, 'p', ['system:masters'])}`,
    });
    await expect401(await clusterToken(pathed, 'payments-prod'));
    h.sim.control.editAwsAuth(PROD, {
      ...prodAwsAuth,
      mapRoles: `${prodAwsAuth['mapRoles'] ?? ''}${roleEntry(`arn:aws:iam::${PAYMENTS}:role/PATHED-TESTER`, 'p', ['system:masters'])}`,
    });
    expect(await readProd(await clusterToken(pathed, 'payments-prod'))).toBe('ok');
    h.sim.control.editAwsAuth(PROD, prodAwsAuth);
  });

  it('maps users through mapUsers', async () => {
    await expect401(await clusterToken(hubCreds(h.sim), 'payments-prod'));
    h.sim.control.editAwsAuth(PROD, {
      ...prodAwsAuth,
      mapUsers: `- userarn: ${h.sim.world.hub.arn}\n  username: hub\n  groups: [system:masters]\n`,
    });
    expect(await readProd(await clusterToken(hubCreds(h.sim), 'payments-prod'))).toBe('ok');
    h.sim.control.editAwsAuth(PROD, prodAwsAuth);
  });

  it('invalid YAML in mapRoles drops every role mapping', async () => {
    h.sim.control.editAwsAuth(PROD, { mapRoles: `${prodAwsAuth['mapRoles'] ?? ''}- rolearn: [unclosed\n` });
    await expect401(await clusterToken(spoke, 'payments-prod'));
    h.sim.control.editAwsAuth(PROD, prodAwsAuth);
    expect(await readProd(await clusterToken(spoke, 'payments-prod'))).toBe('ok');
  });

  it('reads mapRoles as libyaml does: a leading byte-order mark and CR or CRLF line breaks are fine', async () => {
    const mapRoles = prodAwsAuth['mapRoles'] ?? '';
    try {
      for (const text of [`\ufeff${mapRoles}`, mapRoles.replaceAll('\n', '\r\n'), mapRoles.replaceAll('\n', '\r')]) {
        h.sim.control.editAwsAuth(PROD, { mapRoles: text });
        expect(await readProd(await clusterToken(spoke, 'payments-prod')), JSON.stringify(text.slice(0, 3))).toBe('ok');
      }
    } finally {
      h.sim.control.editAwsAuth(PROD, prodAwsAuth);
    }
  });

  it('a tab where libyaml refuses one (after ":") drops every role mapping; a tab inside a flow list does not', async () => {
    const spokeEntry = (separator: string): string =>
      `- rolearn: ${SPOKE_ARN}\n  username:${separator}hub\n  groups: [system:masters,\tviewers]\n`;
    try {
      h.sim.control.editAwsAuth(PROD, { mapRoles: spokeEntry('\t') });
      await expect401(await clusterToken(spoke, 'payments-prod'));
      h.sim.control.editAwsAuth(PROD, { mapRoles: spokeEntry(' ') });
      expect(await readProd(await clusterToken(spoke, 'payments-prod'))).toBe('ok');
    } finally {
      h.sim.control.editAwsAuth(PROD, prodAwsAuth);
    }
  });

  it('binaryData is not read: a mapping there lets nobody in', async () => {
    const mapRoles = Buffer.from(prodAwsAuth['mapRoles'] ?? '').toString('base64');
    try {
      h.sim.control.putConfigMap(PROD, { metadata: { name: 'aws-auth', namespace: 'kube-system' }, binaryData: { mapRoles } });
      await expect401(await clusterToken(spoke, 'payments-prod'));
    } finally {
      h.sim.control.putConfigMap(PROD, { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: prodAwsAuth });
    }
    expect(await readProd(await clusterToken(spoke, 'payments-prod'))).toBe('ok');
  });

  it('a write that drops the writer’s own mapping really locks it out', async () => {
    const api = await freshClient(h.sim, prod, spoke, 'payments-prod');
    const current = await readAwsAuth(api);
    const withoutSpoke = (current.data?.['mapRoles'] ?? '')
      .split(/(?=^- )/m)
      .filter((entry) => !entry.includes('eks-auth-hub-spoke'))
      .join('');
    expect(withoutSpoke).toContain('payments-node');
    expect(withoutSpoke).not.toContain('eks-auth-hub-spoke');
    current.data = { ...current.data, mapRoles: withoutSpoke };
    const written = await api.replaceNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: current });
    expect(written.data?.['mapRoles']).toBe(withoutSpoke);

    // The next read, with a freshly minted token, is refused: the spoke is no longer mapped.
    await expect401(await clusterToken(spoke, 'payments-prod'));
    const retry = await caught(readAwsAuth(await freshClient(h.sim, prod, spoke, 'payments-prod')));
    expectUnauthorized(retry);
    expect(h.sim.control.readAwsAuth(PROD)?.data['mapRoles']).toBe(withoutSpoke);

    h.sim.control.editAwsAuth(PROD, prodAwsAuth);
    expect(await readProd(await clusterToken(spoke, 'payments-prod'))).toBe('ok');
  });

  it('the cluster creator is admin without any aws-auth entry', async () => {
    const analytics = await assumeSpoke(h.sim, ANALYTICS);
    const ml = await clusterEndpoint(h.sim, analytics, 'eu-west-1', 'ml-training');
    const state = h.sim.control.readAwsAuth({ account: ANALYTICS, region: 'eu-west-1', cluster: 'ml-training' });
    expect(JSON.stringify(state?.data)).not.toContain('eks-auth-hub-spoke');
    const cm = await readAwsAuth(await freshClient(h.sim, ml, analytics, 'ml-training'));
    expect(cm.data?.['mapRoles']).toContain('analytics-node');
    // Another identity with the same (absent) mapping is refused there.
    const tester = await assumeTester(ANALYTICS);
    expectUnauthorized(await caught(readAwsAuth(await freshClient(h.sim, ml, tester, 'ml-training'))));
  });

  it('authentication mode API ignores aws-auth: only the creator gets in', async () => {
    const platform = await assumeSpoke(h.sim, PLATFORM);
    const tester = await assumeTester(PLATFORM);
    const sandbox = await clusterEndpoint(h.sim, platform, 'eu-central-1', 'sandbox');
    const tools = await clusterEndpoint(h.sim, platform, 'eu-central-1', 'platform-tools');
    const mapping = { mapRoles: roleEntry(`arn:aws:iam::${PLATFORM}:role/tester`, 'tester', ['system:masters']) };

    // The creator gets in (the cluster has no aws-auth yet) and writes one mapping the tester as admin.
    const creator = await freshClient(h.sim, sandbox, platform, 'sandbox', 'eu-central-1');
    expectStatus(await caught(readAwsAuth(creator)), 404, 'NotFound');
    await creator.createNamespacedConfigMap({
      namespace: 'kube-system',
      body: { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: mapping },
    });
    expect((await readAwsAuth(creator)).data).toEqual(mapping);
    expectUnauthorized(await caught(readAwsAuth(await freshClient(h.sim, sandbox, tester, 'sandbox', 'eu-central-1'))));

    // The same mapping on an API_AND_CONFIG_MAP cluster lets the tester in.
    h.sim.control.editAwsAuth({ account: PLATFORM, region: 'eu-central-1', cluster: 'platform-tools' }, mapping);
    const viaMapping = await readAwsAuth(await freshClient(h.sim, tools, tester, 'platform-tools', 'eu-central-1'));
    expect(viaMapping.data).toEqual(mapping);
  });
});
