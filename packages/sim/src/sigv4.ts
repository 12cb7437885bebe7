/**
 * SigV4 verification the way AWS does it: the simulator recomputes the signature of an incoming
 * request with the secret it issued for the access key and compares. The signing itself is
 * `@smithy/signature-v4`, the implementation the SDK uses, fed with exactly what the client signed.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningSecret {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AuthorizationInfo {
  readonly accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s]+)\/([0-9]{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;

/** Parses an `Authorization: AWS4-HMAC-SHA256 …` header, or undefined when it is not one. */
export function parseAuthorization(header: string | undefined): AuthorizationInfo | undefined {
  const match = header === undefined ? null : AUTHORIZATION.exec(header.trim());
  if (match === null) return undefined;
  const [, accessKeyId = '', scopeDate = '', region = '', service = '', signed = '', signature = ''] = match;
  return { accessKeyId, scopeDate, region, service, signedHeaders: signed.split(';'), signature };
}

/** `YYYYMMDDTHHMMSSZ` → Date, or undefined. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = value === undefined ? null : /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Splits a raw query string into decoded keys and values, keeping repeats, without `+` → space. */
export function parseRawQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function signer(secret: SigningSecret, region: string, service: string): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: secret.accessKeyId,
      secretAccessKey: secret.secretAccessKey,
      ...(secret.sessionToken === undefined ? {} : { sessionToken: secret.sessionToken }),
    },
    region,
    service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
    // Sign exactly what the client signed: never add a payload-hash header of our own.
    applyChecksum: false,
  });
}

export function signaturesEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export interface IncomingSigned {
  readonly method: string;
  /** The path as sent on the request line (still percent-encoded). */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

/** Recomputes the header signature of a request and compares it with the one it carries. */
export async function verifyHeaderSignature(request: IncomingSigned, auth: AuthorizationInfo, secret: SigningSecret, signingDate: Date): Promise<boolean> {
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return false;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const host = headers['host'] ?? '';
  const colon = host.lastIndexOf(':');
  const rebuilt = new HttpRequest({
    method: request.method,
    protocol: 'http:',
    hostname: colon > 0 ? host.slice(0, colon) : host,
    path: request.rawPath,
    query: parseRawQuery(request.rawQuery),
    headers,
    body: request.body,
  });
  // The signer adds these itself: drop them so they are not signed twice.
  const { 'x-amz-date': _date, 'x-amz-security-token': _token, ...rest } = headers;
  void _date;
  void _token;
  rebuilt.headers = rest;
  const signed = await signer(secret, auth.region, auth.service).sign(rebuilt, {
    signingDate,
    signableHeaders: new Set(auth.signedHeaders),
    unsignableHeaders: new Set(Object.keys(rest).filter((h) => !auth.signedHeaders.includes(h))),
  });
  const produced = parseAuthorization(String(signed.headers['authorization'] ?? signed.headers['Authorization'] ?? ''));
  if (produced === undefined) return false;
  if (produced.signedHeaders.join(';') !== auth.signedHeaders.join(';')) return false;
  return signaturesEqual(produced.signature, auth.signature);
}

/**
 * The `X-Amz-Signature` a presigned `GetCallerIdentity` URL must carry when signed with `secret` for
 * `clusterName` (header `x-k8s-aws-id`), at `signingDate`, valid `expiresIn` seconds.
 */
export async function presignedTokenSignature(
  options: { host: string; region: string; clusterName: string; signingDate: Date; expiresIn: number },
  secret: SigningSecret,
): Promise<string> {
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: options.host,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: options.host, 'x-k8s-aws-id': options.clusterName },
  });
  const presigned = await signer(secret, options.region, 'sts').presign(request, {
    signingDate: options.signingDate,
    expiresIn: options.expiresIn,
  });
  const signature = presigned.query?.['X-Amz-Signature'];
  return typeof signature === 'string' ? signature : '';
}
