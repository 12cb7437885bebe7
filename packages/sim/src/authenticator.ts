/**
 * What an EKS control plane does with a bearer token, done offline: verify the presigned-STS token
 * with the authenticator's rules and find the caller. Mapping the caller through the cluster's live
 * aws-auth is `aws-auth-reader.ts`.
 */
import { LRUCache } from 'lru-cache';
import { parseAmzDate, presignedTokenSignature, signaturesEqual } from './sigv4.js';
import type { World } from './world.js';
import type { Credential } from './world-model.js';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_LENGTH = 4096;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
const ALLOWED_QUERY_KEYS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const STS_HOST = /^sts(?:\.((?:[a-z]{2}|us-gov)-[a-z]+-[1-9][0-9]?))?\.amazonaws\.com(\.cn)?$/;

export interface Identity {
  /** Canonical ARN: `arn:<p>:iam::<acct>:role/<name>` for role sessions, the user ARN for users. */
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
  readonly accessKeyId: string;
  readonly sessionName: string | undefined;
}

export type TokenVerdict = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly reason: string };

function refuse(reason: string): TokenVerdict {
  return { ok: false, reason };
}

/**
 * What a token says before any clock, credential or signature is consulted: a function of its text
 * alone. Either the refusal its form earns, or what verification goes on with.
 */
export type TokenReading =
  | { readonly ok: false; readonly reason: string }
  | {
      readonly ok: true;
      /** The STS host the URL names. */
      readonly host: string;
      /** X-Amz-Date, epoch ms. */
      readonly signedAt: number;
      /** X-Amz-Expires, seconds. */
      readonly expires: number;
      /** The refusal the credential scope earns (given after the clock checks), or its access key and region. */
      readonly scope: { readonly refusal: string } | { readonly accessKeyId: string; readonly region: string };
      readonly securityToken: string | undefined;
      readonly signature: string;
    };

/** Reads a token's form (see `TokenReading`), as the authenticator does. */
export function readToken(token: string): TokenReading {
  const refused = (reason: string): TokenReading => ({ ok: false, reason });
  if (token.length > MAX_TOKEN_LENGTH) return refused('token is too large');
  if (!token.startsWith(TOKEN_PREFIX)) return refused('token has no k8s-aws-v1. prefix');
  const encoded = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return refused('token is not unpadded base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return refused('token does not hold a URL');
  }
  if (url.protocol !== 'https:') return refused(`unexpected scheme ${url.protocol}`);
  const host = STS_HOST.exec(url.host);
  if (host === null) return refused(`unexpected hostname ${url.host}`);
  if (url.pathname !== '/') return refused(`unexpected path ${url.pathname}`);

  const query = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    const lower = key.toLowerCase();
    if (!ALLOWED_QUERY_KEYS.has(lower)) return refused(`non-whitelisted query parameter ${key}`);
    if (values.length !== 1 || query.has(lower)) return refused(`query parameter ${key} is given more than once`);
    query.set(lower, values[0] ?? '');
  }
  if (query.get('action') !== 'GetCallerIdentity') return refused('unexpected action');
  const signedHeaders = (query.get('x-amz-signedheaders') ?? '').split(';');
  if (!signedHeaders.includes('x-k8s-aws-id')) return refused('x-k8s-aws-id is not signed');
  const expiresText = query.get('x-amz-expires') ?? '';
  const expires = /^[0-9]+$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 0 && expires <= 900)) return refused('X-Amz-Expires is not an integer from 0 to 900');
  const date = parseAmzDate(query.get('x-amz-date'));
  if (date === undefined) return refused('X-Amz-Date is missing or malformed');

  // What STS does with the URL, sent with the server's own x-k8s-aws-id.
  const credentialScope = /^([^/]+)\/([0-9]{8})\/([a-z0-9-]+)\/sts\/aws4_request$/.exec(query.get('x-amz-credential') ?? '');
  const [, accessKeyId = '', , region = ''] = credentialScope ?? [];
  // STS checks the scope against the endpoint it serves: a regional host its own region, the global
  // host us-east-1 ("Credential should be scoped to a valid region").
  const scope =
    credentialScope === null
      ? { refusal: 'X-Amz-Credential is malformed' }
      : region !== (host[1] ?? 'us-east-1')
        ? { refusal: 'STS: SignatureDoesNotMatch (credential scope region)' }
        : { accessKeyId, region };
  return {
    ok: true,
    host: url.host,
    signedAt: date.getTime(),
    expires,
    scope,
    securityToken: query.get('x-amz-security-token'),
    signature: query.get('x-amz-signature') ?? '',
  };
}

/**
 * Tokens' readings, kept by the token's exact text (clients send the same token for many minutes):
 * the form is read once; the clock, the credential, the session token and the signature are
 * checked on every request. Bounded by entries and by characters of token text.
 */
export class TokenReader {
  private readonly readings: LRUCache<string, TokenReading>;
  private readCount = 0;

  constructor(options: { maxEntries?: number; maxChars?: number } = {}) {
    this.readings = new LRUCache<string, TokenReading>({
      max: options.maxEntries ?? 4096,
      maxSize: options.maxChars ?? 4 * 1024 * 1024,
      sizeCalculation: (_reading, token) => Math.max(1, token.length),
    });
  }

  read(token: string): TokenReading {
    let reading = this.readings.get(token);
    if (reading === undefined) {
      this.readCount += 1;
      reading = readToken(token);
      // Tokens longer than the authenticator accepts are refused on their length alone: not kept.
      if (token.length <= MAX_TOKEN_LENGTH) this.readings.set(token, reading);
    }
    return reading;
  }

  /** Tokens read so far: what was not already kept. */
  get reads(): number {
    return this.readCount;
  }

  get size(): number {
    return this.readings.size;
  }

  clear(): void {
    this.readings.clear();
  }
}

/** The simulator's token reader. */
export const tokenReader = new TokenReader();

/** Verifies a `k8s-aws-v1.` token for the cluster named `clusterName`, as the authenticator and STS would. */
export function verifyToken(token: string, clusterName: string, world: World, reader: TokenReader = tokenReader): TokenVerdict {
  const reading = reader.read(token);
  if (!reading.ok) return refuse(reading.reason);
  const now = world.now();
  if (now - reading.signedAt > TOKEN_LIFETIME_MS) return refuse('token is expired');
  if (reading.signedAt - now > TOKEN_LIFETIME_MS) return refuse('token is not yet valid');
  if ('refusal' in reading.scope) return refuse(reading.scope.refusal);
  const { accessKeyId, region } = reading.scope;
  const credential = world.credentials.get(accessKeyId);
  if (credential === undefined) return refuse('STS: InvalidClientTokenId');
  if (credential.sessionToken !== undefined && reading.securityToken !== credential.sessionToken) {
    return refuse('STS: InvalidClientTokenId (session token)');
  }
  if (world.propagating(credential)) return refuse('STS: InvalidClientTokenId (session not known yet)');
  if (credential.expiresAt !== undefined && credential.expiresAt < now) return refuse('STS: ExpiredToken');
  const expected = presignedTokenSignature(
    { host: reading.host, region, clusterName, signingDate: new Date(reading.signedAt), expiresIn: reading.expires },
    credential,
  );
  if (!signaturesEqual(expected, reading.signature)) return refuse('STS: SignatureDoesNotMatch');
  // GetCallerIdentity needs no permission and no policy denies it: a session whose role was deleted,
  // created again or whose sessions were revoked still names itself, so its token still
  // authenticates; what it is then allowed is the cluster's mapping of the role's ARN.
  return { ok: true, identity: identityOf(credential) };
}

export function identityOf(credential: Credential): Identity {
  const assumed = /^arn:([^:]+):sts::([0-9]{12}):assumed-role\/([^/]+)\/(.+)$/.exec(credential.arn);
  if (assumed !== null) {
    const [, partition, account = '', role, session] = assumed;
    return {
      arn: `arn:${partition}:iam::${account}:role/${role}`,
      account,
      userId: credential.userId,
      accessKeyId: credential.accessKeyId,
      sessionName: session,
    };
  }
  return {
    arn: credential.arn,
    account: credential.account,
    userId: credential.userId,
    accessKeyId: credential.accessKeyId,
    sessionName: undefined,
  };
}
