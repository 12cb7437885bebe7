/**
 * The cluster token `aws eks get-token` makes: a presigned STS GetCallerIdentity URL for the
 * cluster's regional STS host, `X-Amz-Expires=60`, `host` and `x-k8s-aws-id` signed, as
 * `k8s-aws-v1.` + base64url without padding. Valid 15 minutes from its signing time; the hub reuses
 * one per cluster for 10 minutes.
 */

import type { ClusterRef, Partition } from '@eks-auth-hub/core';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { LRUCache } from 'lru-cache';
import type { SessionCredentials, StsAccountSessions } from './sessions.js';
import { stsHostname } from './sts-endpoint.js';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** How long a token is used after signing (the server accepts it for 15 minutes). */
export const TOKEN_REUSE_MS = 10 * 60_000;
/** What clients are told: expiring 14 minutes after signing, as `aws eks get-token` says. */
export const TOKEN_EXPIRY_MS = 14 * 60_000;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ClusterToken {
  readonly token: string;
  readonly signedAt: Date;
  /** When clients should stop using it (signing time + 14 minutes). */
  readonly expiresAt: Date;
}

/** Mints a token for `clusterName` in `region`, signed at `signingDate`. Deterministic for fixed inputs. */
export async function mintClusterToken(
  credentials: Credentials,
  clusterName: string,
  region: string,
  signingDate: Date,
): Promise<ClusterToken> {
  const host = stsHostname(region);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    region,
    service: 'sts',
    sha256: Hash.bind(null, 'sha256'),
  });
  // presign() signs only the headers present: set host and x-k8s-aws-id; nothing else.
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, 'x-k8s-aws-id': clusterName },
    }),
    { expiresIn: 60, signingDate },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  const url = `https://${host}/?${query}`;
  return {
    token: `${TOKEN_PREFIX}${Buffer.from(url, 'utf8').toString('base64url')}`,
    signedAt: signingDate,
    expiresAt: new Date(signingDate.getTime() + TOKEN_EXPIRY_MS),
  };
}

/** ExecCredential for kubectl's exec plugin, in the apiVersion kubectl asked for. */
export function execCredential(token: ClusterToken, apiVersion = 'client.authentication.k8s.io/v1beta1'): Record<string, unknown> {
  return {
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { expirationTimestamp: token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), token: token.token },
  };
}

interface CachedToken {
  readonly token: string;
  readonly accessKeyId: string;
  readonly usableUntil: number;
}

/** Clusters whose token is kept: far more than a pass has in flight (hub.concurrency is at most 256). */
export const TOKENS_KEPT = 1_024;

/**
 * Tokens per cluster, reused for 10 minutes and never past the session that signed them. Reuse
 * matters within a pass (a cluster's reads and writes follow each other); from one pass to the next
 * (10 minutes apart by default) a token has mostly expired, so only the most recently used
 * `TOKENS_KEPT` are kept (a token is over a kilobyte, and making one needs no call).
 */
export class ClusterTokens {
  private readonly cache: LRUCache<string, CachedToken>;
  minted = 0;

  constructor(
    private readonly sessions: Pick<StsAccountSessions, 'credentials'> & Partial<Pick<StsAccountSessions, 'refresh'>>,
    private readonly now: () => number = Date.now,
    max = TOKENS_KEPT,
  ) {
    this.cache = new LRUCache<string, CachedToken>({ max });
  }

  /** The cluster's token; making one may need the account's session (an STS call that ends when `signal` aborts). */
  async token(cluster: ClusterRef, signal?: AbortSignal): Promise<string> {
    return (await this.signed(cluster, signal)).token;
  }

  /** The cluster's token and the access key of the session that signed it. */
  async signed(cluster: ClusterRef, signal?: AbortSignal): Promise<{ readonly token: string; readonly accessKeyId: string }> {
    const key = `${cluster.partition}/${cluster.account}/${cluster.region}/${cluster.name}`;
    const credentials: SessionCredentials = await this.sessions.credentials(cluster.account, cluster.partition as Partition, signal);
    const cached = this.cache.get(key);
    const now = this.now();
    if (cached !== undefined && cached.usableUntil > now && cached.accessKeyId === credentials.accessKeyId) return cached;
    const { token } = await mintClusterToken(credentials, cluster.name, cluster.region, new Date(now));
    this.minted += 1;
    const made: CachedToken = {
      token,
      accessKeyId: credentials.accessKeyId,
      usableUntil: Math.min(now + TOKEN_REUSE_MS, credentials.expiration.getTime()),
    };
    this.cache.set(key, made);
    return made;
  }

  /**
   * After the cluster answered 401 to a token signed by session `accessKeyId`: forgets the token and
   * asks the sessions to renew that session (see StsAccountSessions.refresh). True when a request with
   * a new token is worth making.
   */
  async refused(cluster: ClusterRef, accessKeyId: string): Promise<boolean> {
    this.forget(cluster);
    if (this.sessions.refresh === undefined) return false;
    return this.sessions.refresh(cluster.account, cluster.partition as Partition, accessKeyId, 'cluster-unauthorized');
  }

  /** Forgets a cluster's token (after the server refused it). */
  forget(cluster: ClusterRef): void {
    this.cache.delete(`${cluster.partition}/${cluster.account}/${cluster.region}/${cluster.name}`);
  }

  /** Tokens kept. */
  get size(): number {
    return this.cache.size;
  }
}
