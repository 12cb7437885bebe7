/**
 * The simulator's SigV4 checks as they were written on top of `@smithy/signature-v4` (the signer the
 * SDK uses): the reference `src/sigv4.ts` must agree with, byte for byte, on every request. Only
 * the tests use it.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { type AuthorizationInfo, type IncomingSigned, parseAuthorization, parseRawQuery, type SigningSecret } from '../src/sigv4.js';

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

/** The Authorization the SDK's signer produces for the request as the client signed it, or undefined when a signed header is missing. */
export async function referenceHeaderAuthorization(
  request: IncomingSigned,
  auth: AuthorizationInfo,
  secret: SigningSecret,
  signingDate: Date,
): Promise<AuthorizationInfo | undefined> {
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return undefined;
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
  return parseAuthorization(String(signed.headers['authorization'] ?? signed.headers['Authorization'] ?? ''));
}

/** The verdict the simulator gave before `src/sigv4.ts` computed signatures itself. */
export async function referenceVerifyHeaderSignature(
  request: IncomingSigned,
  auth: AuthorizationInfo,
  secret: SigningSecret,
  signingDate: Date,
): Promise<boolean> {
  const produced = await referenceHeaderAuthorization(request, auth, secret, signingDate);
  if (produced === undefined) return false;
  if (produced.signedHeaders.join(';') !== auth.signedHeaders.join(';')) return false;
  return produced.signature === auth.signature;
}

/** The presigned GetCallerIdentity signature as the SDK's signer computes it. */
export async function referencePresignedTokenSignature(
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
