/**
 * SigV4 verification the way AWS does it: the simulator recomputes the signature of an incoming
 * request with the secret it issued for the access key and compares.
 *
 * The computation is the one `@smithy/signature-v4` (the signer the SDK uses) makes, step for step,
 * fed with exactly what the client signed; it is written here on node:crypto so that the only thing
 * kept between requests is the derived signing key (four HMACs), cached under everything it derives
 * from (`signing-keys.ts`). The canonical request, its hash and the signature are computed anew for
 * every request. `test/sigv4-reference.ts` keeps the checks as they were written on the SDK's signer,
 * and the tests hold both to the same signatures on many requests.
 */
import * as crypto from 'node:crypto';
import { createHash, createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { KEY_TYPE_IDENTIFIER, type SigningKeyCache, signingKeys } from './signing-keys.js';

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

// The last date read: clients sign many requests within the same second.
let lastAmzDate: { text: string; ms: number } | undefined;

/** `YYYYMMDDTHHMMSSZ` → Date, or undefined. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (lastAmzDate !== undefined && lastAmzDate.text === value) return new Date(lastAmzDate.ms);
  const match = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const ms = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
  if (Number.isNaN(ms)) return undefined;
  lastAmzDate = { text: value, ms };
  return new Date(ms);
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

export function signaturesEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

// ---------------------------------------------------------------------------------------------
// The signer's steps (as `@smithy/signature-v4` takes them)

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MAX_PRESIGNED_TTL = 60 * 60 * 24 * 7;

/** SHA-256 in hex; the one-shot `crypto.hash` where this Node has it (20.12 and later). */
const sha256Hex: (data: string | Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');

const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;

/** `encodeURIComponent`, then `!'()*` escaped too (what it leaves alone of the reserved characters). */
function escapeUri(uri: string): string {
  // Unreserved characters only: nothing to escape (the common case, at a fraction of the cost).
  if (typeof uri === 'string' && UNRESERVED.test(uri)) return uri;
  return encodeURIComponent(uri).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : String(n));
let lastSigningDate: { ms: number; longDate: string; shortDate: string } | undefined;

/** `YYYYMMDDTHHMMSSZ` and `YYYYMMDD` of the signing date (as `toISOString` writes it, without separators and milliseconds). */
function formatDate(date: Date): { longDate: string; shortDate: string } {
  const ms = date.getTime();
  if (lastSigningDate !== undefined && lastSigningDate.ms === ms) return lastSigningDate;
  const year = date.getUTCFullYear();
  // toISOString writes years 0 to 9999 as four digits (and throws for an invalid date).
  const longDate =
    year >= 0 && year <= 9999
      ? `${String(year).padStart(4, '0')}${twoDigits(date.getUTCMonth() + 1)}${twoDigits(date.getUTCDate())}T${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}${twoDigits(date.getUTCSeconds())}Z`
      : date
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z')
          .replace(/[-:]/g, '');
  lastSigningDate = { ms, longDate, shortDate: longDate.slice(0, 8) };
  return lastSigningDate;
}

// A path already in canonical form: `/`-separated segments of unreserved characters, none empty,
// `.` or `..`, perhaps a final `/`. The signer's normalising and escaping leave it as it is.
const CANONICAL_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.~-]+)*\/?$/;

/** The path as the signer normalises it (empty and `.` segments dropped, `..` applied), URI-escaped. */
function canonicalPath(rawPath: string): string {
  if (rawPath.startsWith('/') && CANONICAL_PATH.test(rawPath)) return rawPath;
  const path = rawPath === '' ? '/' : rawPath.charAt(0) !== '/' ? `/${rawPath}` : rawPath;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** Own keys, escaped and sorted, each with its values escaped and sorted; X-Amz-Signature left out. */
function canonicalQuery(query: Readonly<Record<string, string | readonly string[]>>): string {
  const keys: string[] = [];
  const serialized: Record<string, string> = {};
  for (const key of Object.keys(query)) {
    if (key.toLowerCase() === 'x-amz-signature') continue;
    const encodedKey = escapeUri(key);
    keys.push(encodedKey);
    const value = query[key];
    if (typeof value === 'string') {
      serialized[encodedKey] = `${encodedKey}=${escapeUri(value)}`;
    } else if (Array.isArray(value)) {
      serialized[encodedKey] = value
        .map((v: string) => `${encodedKey}=${escapeUri(v)}`)
        .sort()
        .join('&');
    }
  }
  return keys
    .sort()
    .map((key) => serialized[key])
    .filter((part) => part)
    .join('&');
}

const HEADER_VALUE_TO_TIDY = /[\r\n\t]| {2}|^ | $/;

/** A header value as signed: line breaks become spaces, runs of blanks one space, the ends trimmed of one. */
function canonicalHeaderValue(value: string): string {
  // Nothing to tidy (no line break, tab, double space or space at an end): the value itself. (What
  // is no string at all goes on to fail as the signer fails on it.)
  if (typeof value === 'string' && !HEADER_VALUE_TO_TIDY.test(value)) return value;
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

function signature(key: KeyObject, longDate: string, scope: string, canonicalRequest: string): string {
  return createHmac('sha256', key)
    .update(`${ALGORITHM}\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`)
    .digest('hex');
}

const ACCESS_KEY_PART = /^[^/\s]+$/;
const DATE_PART = /^[0-9]{8}$/;
const SCOPE_PART = /^[a-z0-9-]+$/;
const HEADER_LIST_PART = /^[a-z0-9;._-]+$/;

/**
 * `parseAuthorization` of the Authorization the signer writes from these parts. When each part is
 * of the form the pattern captures (always, for what the simulator verifies), the parse is these
 * very parts, so it is not run; otherwise it is.
 */
function producedAuthorization(
  accessKeyId: string,
  shortDate: string,
  region: string,
  service: string,
  signedHeaders: string,
  signature: string,
): AuthorizationInfo | undefined {
  if (
    ACCESS_KEY_PART.test(accessKeyId) &&
    DATE_PART.test(shortDate) &&
    SCOPE_PART.test(region) &&
    SCOPE_PART.test(service) &&
    HEADER_LIST_PART.test(signedHeaders)
  ) {
    return { accessKeyId, scopeDate: shortDate, region, service, signedHeaders: signedHeaders.split(';'), signature };
  }
  return parseAuthorization(
    `${ALGORITHM} Credential=${accessKeyId}/${shortDate}/${region}/${service}/${KEY_TYPE_IDENTIFIER}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Header-signed requests

export interface IncomingSigned {
  readonly method: string;
  /** The path as sent on the request line (still percent-encoded). */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

const PLAIN_HEADER_NAME = /^[a-z0-9._-]+$/;

/**
 * The values of the headers `names` lists, when the list is what clients send (plain lower-case
 * names, strictly ascending, so each once) and the request has each as a string or list of its own;
 * otherwise undefined, and the general way below is taken.
 */
function sortedOwnValues(headers: IncomingSigned['headers'], names: readonly string[]): string[] | undefined {
  const values: string[] = [];
  let previous = '';
  for (const name of names) {
    if (!(name > previous) || name === '__proto__' || !PLAIN_HEADER_NAME.test(name) || !Object.hasOwn(headers, name)) return undefined;
    const value = headers[name];
    if (typeof value === 'string') values.push(value);
    else if (Array.isArray(value)) values.push(value.join(','));
    else return undefined;
    previous = name;
  }
  return values;
}

/**
 * The signed headers (as the general way below makes them) from an ascending list of plain names and
 * their values: the signer's x-amz-date and session token merged in at their places, in one pass.
 */
function sortedCanonicalHeaders(
  names: readonly string[],
  values: readonly string[],
  longDate: string,
  sessionToken: string | undefined,
): { lines: string; signedHeaders: string; payloadHash: string | undefined } {
  const own: [string, string][] = [['x-amz-date', longDate]];
  if (sessionToken) own.push(['x-amz-security-token', sessionToken]);
  const signed: string[] = [];
  const lines: string[] = [];
  let payloadHash: string | undefined;
  let next = 0;
  const add = (name: string, value: string): void => {
    signed.push(name);
    lines.push(`${name}:${canonicalHeaderValue(value)}`);
  };
  names.forEach((name, i) => {
    if (name === 'authorization' || name === 'date' || name === 'x-amz-date' || name === 'x-amz-security-token') return;
    for (let entry = own[next]; entry !== undefined && entry[0] < name; entry = own[++next]) add(entry[0], entry[1]);
    const value = values[i] ?? '';
    if (name === 'x-amz-content-sha256') payloadHash = value;
    add(name, value);
  });
  for (let entry = own[next]; entry !== undefined; entry = own[++next]) add(entry[0], entry[1]);
  return { lines: lines.join('\n'), signedHeaders: signed.join(';'), payloadHash };
}

/**
 * The signed headers of any list of names, step for step as the signer takes them: the client's
 * headers without the ones it sets itself (x-amz-date, the session token) or never signs as given
 * (authorization, date), then its own x-amz-date and token, names lower-cased and sorted.
 */
function canonicalHeaders(
  headers: Readonly<Record<string, string>>,
  longDate: string,
  sessionToken: string | undefined,
): { lines: string; signedHeaders: string; payloadHash: string | undefined } {
  const prepared: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name === 'x-amz-date' || name === 'x-amz-security-token') continue;
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'x-amz-date' || lower === 'date') continue;
    prepared[name] = headers[name] as string;
  }
  prepared['x-amz-date'] = longDate;
  if (sessionToken) prepared['x-amz-security-token'] = sessionToken;
  const canonical: Record<string, string> = Object.create(null) as Record<string, string>;
  let payloadHash: string | undefined;
  for (const name of Object.keys(prepared)) {
    if (payloadHash === undefined && name.toLowerCase() === 'x-amz-content-sha256') payloadHash = prepared[name];
  }
  for (const name of Object.keys(prepared).sort()) {
    const value = prepared[name];
    if (value === undefined || value === null) continue;
    canonical[name.toLowerCase()] = canonicalHeaderValue(value);
  }
  const names = Object.keys(canonical).sort();
  return { lines: names.map((name) => `${name}:${canonical[name] ?? ''}`).join('\n'), signedHeaders: names.join(';'), payloadHash };
}

/**
 * The Authorization the signer produces for `request` signed with `secret` at `signingDate`, in the
 * region and service of `auth`, over the headers `auth` names (plus the `x-amz-date` and, for a
 * session, the `x-amz-security-token` the signer sets itself; never `authorization` or `date`).
 * Undefined when a header `auth` names is not in the request, or the result is no valid Authorization.
 */
export function headerAuthorization(
  request: IncomingSigned,
  auth: AuthorizationInfo,
  secret: SigningSecret,
  signingDate: Date,
  keys: SigningKeyCache = signingKeys,
): AuthorizationInfo | undefined {
  let longDate: string;
  let shortDate: string;
  let canonical: { readonly lines: string; readonly signedHeaders: string; readonly payloadHash: string | undefined };
  const values = sortedOwnValues(request.headers, auth.signedHeaders);
  if (values !== undefined) {
    ({ longDate, shortDate } = formatDate(signingDate));
    canonical = sortedCanonicalHeaders(auth.signedHeaders, values, longDate, secret.sessionToken);
  } else {
    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = request.headers[name];
      if (value === undefined) return undefined;
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    ({ longDate, shortDate } = formatDate(signingDate));
    canonical = canonicalHeaders(headers, longDate, secret.sessionToken);
  }
  const { lines, signedHeaders } = canonical;
  const payloadHash = canonical.payloadHash ?? (request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body));
  const query = request.rawQuery === '' ? '' : canonicalQuery(parseRawQuery(request.rawQuery));
  const canonicalRequest = `${request.method || 'GET'}\n${canonicalPath(request.rawPath)}\n${query}\n${lines}\n\n${signedHeaders}\n${payloadHash}`;
  const scope = `${shortDate}/${auth.region}/${auth.service}/${KEY_TYPE_IDENTIFIER}`;
  const produced = signature(keys.key(secret.secretAccessKey, shortDate, auth.region, auth.service), longDate, scope, canonicalRequest);
  return producedAuthorization(secret.accessKeyId, shortDate, auth.region, auth.service, signedHeaders, produced);
}

/** Recomputes the header signature of a request and compares it with the one it carries. */
export function verifyHeaderSignature(
  request: IncomingSigned,
  auth: AuthorizationInfo,
  secret: SigningSecret,
  signingDate: Date,
  keys: SigningKeyCache = signingKeys,
): boolean {
  const produced = headerAuthorization(request, auth, secret, signingDate, keys);
  if (produced === undefined) return false;
  if (produced.signedHeaders.join(';') !== auth.signedHeaders.join(';')) return false;
  return signaturesEqual(produced.signature, auth.signature);
}

// ---------------------------------------------------------------------------------------------
// Presigned GetCallerIdentity (cluster tokens)

/**
 * The `X-Amz-Signature` a presigned `GetCallerIdentity` URL must carry when signed with `secret` for
 * `clusterName` (header `x-k8s-aws-id`), at `signingDate`, valid `expiresIn` seconds.
 */
export function presignedTokenSignature(
  options: { host: string; region: string; clusterName: string; signingDate: Date; expiresIn: number },
  secret: SigningSecret,
  keys: SigningKeyCache = signingKeys,
): string {
  const { longDate, shortDate } = formatDate(options.signingDate);
  if (options.expiresIn > MAX_PRESIGNED_TTL)
    throw new RangeError('Signature version 4 presigned URLs must have an expiration date less than one week in the future');
  const scope = `${shortDate}/${options.region}/sts/${KEY_TYPE_IDENTIFIER}`;
  // The query the signer signs, in its sorted order: Action, Version, then the X-Amz- parameters
  // (X-Amz-Security-Token only for a session), every value escaped.
  const query =
    `Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=${ALGORITHM}` +
    `&X-Amz-Credential=${escapeUri(`${secret.accessKeyId}/${scope}`)}&X-Amz-Date=${escapeUri(longDate)}` +
    `&X-Amz-Expires=${escapeUri(options.expiresIn.toString(10))}` +
    `${secret.sessionToken ? `&X-Amz-Security-Token=${escapeUri(secret.sessionToken)}` : ''}&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id`;
  const canonicalRequest = `GET\n/\n${query}\nhost:${canonicalHeaderValue(options.host)}\nx-k8s-aws-id:${canonicalHeaderValue(options.clusterName)}\n\nhost;x-k8s-aws-id\n${EMPTY_SHA256}`;
  return signature(keys.key(secret.secretAccessKey, shortDate, options.region, 'sts'), longDate, scope, canonicalRequest);
}
