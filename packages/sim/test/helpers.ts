/** Shared test helpers: load the demo world, SDK clients bound to the simulator, cluster tokens. */
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import * as k8s from '@kubernetes/client-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Simulator } from '../src/simulator.js';

export { demoWorld } from '@eks-auth-hub/testing';

export interface Creds {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export function hubCreds(sim: Simulator): Creds {
  return { accessKeyId: sim.world.hub.accessKeyId, secretAccessKey: sim.world.hub.secretAccessKey };
}

const clientConfig = (sim: Simulator, credentials: Creds, region: string) => ({
  region,
  endpoint: sim.awsEndpoint,
  credentials,
  maxAttempts: 1,
});

export const sts = (sim: Simulator, credentials: Creds, region = 'eu-west-1'): STSClient =>
  new STSClient(clientConfig(sim, credentials, region));
export const iam = (sim: Simulator, credentials: Creds, region = 'us-east-1'): IAMClient =>
  new IAMClient(clientConfig(sim, credentials, region));
export const eks = (sim: Simulator, credentials: Creds, region = 'eu-west-1'): EKSClient =>
  new EKSClient(clientConfig(sim, credentials, region));

export async function assumeSpoke(sim: Simulator, account: string, externalId = 'example-external-id'): Promise<Creds> {
  const out = await sts(sim, hubCreds(sim)).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/eks-auth-hub-spoke`,
      RoleSessionName: 'eks-auth-hub',
      ExternalId: externalId,
    }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) throw new Error('no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** The token `aws eks get-token` makes: a presigned GetCallerIdentity URL, base64url without padding. */
export async function clusterToken(
  credentials: Creds,
  clusterName: string,
  options: {
    region?: string;
    host?: string;
    signingDate?: Date;
    expiresIn?: number;
    extraQuery?: Record<string, string>;
    signK8sHeader?: boolean;
  } = {},
): Promise<string> {
  const region = options.region ?? 'eu-west-1';
  const host = options.host ?? `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Hash.bind(null, 'sha256') });
  const headers: Record<string, string> = { host };
  if (options.signK8sHeader !== false) headers['x-k8s-aws-id'] = clusterName;
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: host,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15', ...(options.extraQuery ?? {}) },
    headers,
  });
  const presigned = await signer.presign(request, {
    expiresIn: options.expiresIn ?? 60,
    ...(options.signingDate === undefined ? {} : { signingDate: options.signingDate }),
  });
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `k8s-aws-v1.${Buffer.from(`https://${host}/?${query}`).toString('base64url')}`;
}

/** A CoreV1Api for a cluster endpoint with a static bearer token and the given CA. */
export function kubeClient(server: string, caPem: string, token: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc.makeApiClient(k8s.CoreV1Api);
}
