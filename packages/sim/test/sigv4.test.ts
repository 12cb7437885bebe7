/**
 * The simulator's SigV4 arithmetic against the SDK's signer: derived keys, header signatures and
 * presigned cluster-token signatures must be byte-identical to what `@smithy/signature-v4` computes
 * (`sigv4-reference.ts`, the checks as they were written on it), on the requests real clients send
 * and on many odd ones; and the signing-key cache only ever hands out the key of exactly the secret,
 * date, region and service asked for, within its bound.
 */

import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveSigningKey, SigningKeyCache } from '../src/signing-keys.js';
import {
  type AuthorizationInfo,
  headerAuthorization,
  type IncomingSigned,
  parseAuthorization,
  presignedTokenSignature,
  type SigningSecret,
  verifyHeaderSignature,
} from '../src/sigv4.js';
import { referenceHeaderAuthorization, referencePresignedTokenSignature, referenceVerifyHeaderSignature } from './sigv4-reference.js';

const sha256 = Hash.bind(null, 'sha256');
const RUNS = 1500;

// ---------------------------------------------------------------------------------------------
// Generators

const text = (chars: readonly string[], maxLength = 12): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { maxLength }).map((a) => a.join(''));

const ODD = [
  'a',
  'Z',
  '0',
  '-',
  '_',
  '.',
  '~',
  ' ',
  '  ',
  '\t',
  '\r\n',
  '\n',
  '/',
  '%',
  '%2F',
  '%20',
  '%zz',
  '+',
  '=',
  '&',
  '!',
  "'",
  '(',
  ')',
  '*',
  'é',
  '☃',
  '😀',
  ':',
  ';',
  ',',
];
const headerValue = fc.oneof(
  text(ODD),
  fc.constantFrom('application/x-www-form-urlencoded; charset=utf-8', '', ' lead', 'trail ', '  a  \t b  '),
);
const secretArb: fc.Arbitrary<SigningSecret> = fc
  .record({
    accessKeyId: fc.constantFrom('AKIAEXAMPLE00000001', 'ASIAEXAMPLE00000002', 'AKIDEXAMPLE'),
    secretAccessKey: fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.constantFrom('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'é☃😀'),
    ),
    sessionToken: fc.oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.base64String({ minLength: 4, maxLength: 128 }),
    ),
  })
  .map(({ accessKeyId, secretAccessKey, sessionToken }) =>
    sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken },
  );
const usualDateArb = fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2099, 11, 31)), noInvalidDate: true });
const dateArb = fc.oneof(
  { weight: 9, arbitrary: usualDateArb },
  // Years the ISO form writes with a sign and six digits, and the first and last of four digits.
  {
    weight: 1,
    arbitrary: fc.date({ min: new Date('-000100-01-01T00:00:00Z'), max: new Date('+010100-01-01T00:00:00Z'), noInvalidDate: true }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      new Date('0000-01-01T00:00:00.123Z'),
      new Date('9999-12-31T23:59:59.999Z'),
      new Date('+010000-01-01T00:00:00Z'),
    ),
  },
);
const regionArb = fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'ap-southeast-2');
const serviceArb = fc.constantFrom('sts', 'iam', 'eks', 'service');

const pathArb = fc.oneof(
  fc.constantFrom(
    '/',
    '',
    '/clusters',
    '/clusters/prod',
    '/clusters/a%20b/node-groups',
    'clusters',
    'http://127.0.0.1:9/clusters',
    '//',
    '/a/./b/../c/',
    '/..',
    '/%2F%2f/x',
    "/!'()*",
    '/é/☃',
  ),
  fc
    .array(text(['a', 'b', '.', '..', '%', '%20', '%2F', ' ', '~', '*', 'é', '!'], 4), { maxLength: 5 })
    .map((segments) => `/${segments.join('/')}`),
);
const queryKey = fc.constantFrom(
  'maxResults',
  'nextToken',
  'a',
  'A',
  'b',
  'X-Amz-Signature',
  'x-amz-signature',
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  '%zz',
  'a%20b',
  'a+b',
  '',
  '%C3%A9',
  'k=',
);
const queryValue = fc.oneof(text(['1', 'x', '%2F', '%20', '+', '=', '%zz', '~', '*', 'é', '%E2%98%83', ' ']), fc.constant(''));
const rawQueryArb = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v, withEquals]) => (withEquals || v !== '' ? `${k}=${v}` : k)).join('&')),
  fc.constantFrom('&&', 'a&', '=x', 'maxResults=10&nextToken=bTox'),
);

const HEADER_NAMES = [
  'host',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'content-type',
  'content-length',
  'user-agent',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'date',
  'authorization',
  'accept',
  'proxy-authorization',
  'sec-fetch-mode',
  'x-amzn-trace-id',
  'expect',
  'x-custom.name_1',
  'constructor',
  '__proto__',
  'Host',
  'X-Amz-Date',
] as const;

interface Case {
  readonly request: IncomingSigned;
  readonly auth: AuthorizationInfo;
  readonly secret: SigningSecret;
  readonly date: Date;
}

/** A request as the Node server hands it over (lower-case header names, a plain object), the names it claims to sign, and the caller's secret. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', ''),
    rawPath: pathArb,
    rawQuery: rawQueryArb,
    present: fc.uniqueArray(
      fc.constantFrom(...HEADER_NAMES.filter((n) => n !== 'constructor' && n !== '__proto__' && n.toLowerCase() === n)),
      { maxLength: 9 },
    ),
    values: fc.array(fc.oneof(headerValue, fc.array(headerValue, { minLength: 2, maxLength: 3 })), { minLength: 22, maxLength: 22 }),
    sha: fc.oneof(
      fc.constant('UNSIGNED-PAYLOAD'),
      fc.constant('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
      headerValue,
    ),
    extraSigned: fc.subarray([...HEADER_NAMES]),
    dropSigned: fc.integer({ min: 0, max: 3 }),
    shuffle: fc.boolean(),
    wellFormed: fc.boolean(),
    body: fc.oneof(fc.constant(''), fc.string({ maxLength: 64 }), fc.constant('Action=GetCallerIdentity&Version=2011-06-15')),
    secret: secretArb,
    region: regionArb,
    service: serviceArb,
    date: dateArb,
    signature: fc.stringMatching(/^[0-9a-f]{64}$/),
  })
  .map((c) => {
    const headers: Record<string, string | string[] | undefined> = {};
    headers['host'] = '127.0.0.1:4566';
    c.present.forEach((name, i) => {
      const value = c.values[i];
      if (name === 'x-amz-date')
        headers[name] = c.date
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z')
          .replace(/[-:]/g, '');
      else if (name === 'x-amz-content-sha256') headers[name] = c.sha;
      else if (name === 'x-amz-security-token') headers[name] = c.secret.sessionToken ?? 'not-a-token';
      else headers[name] = value;
    });
    let signed: string[];
    if (c.wellFormed) {
      // What an SDK sends: x-amz-date and the session token among the headers, all of them signed, sorted.
      headers['x-amz-date'] = c.date
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/[-:]/g, '');
      if (c.secret.sessionToken) headers['x-amz-security-token'] = c.secret.sessionToken;
      signed = Object.keys(headers)
        .filter((name) => name !== 'date' && name !== 'authorization')
        .sort();
    } else {
      // What an odd client might claim: the headers it sent (sometimes fewer), plus odd names, in any order.
      signed = [...Object.keys(headers).slice(c.dropSigned), ...c.extraSigned];
      signed = c.shuffle ? signed.reverse() : signed.sort();
    }
    const auth: AuthorizationInfo = {
      accessKeyId: c.secret.accessKeyId,
      scopeDate: '20250101',
      region: c.region,
      service: c.service,
      signedHeaders: signed.length === 0 ? ['host'] : signed,
      signature: c.signature,
    };
    return {
      request: { method: c.method, rawPath: c.rawPath, rawQuery: c.rawQuery, headers, body: Buffer.from(c.body) },
      auth,
      secret: c.secret,
      date: c.date,
    };
  });

/** Runs `f`, returning its value or the class and message of what it threw. */
async function outcome<T>(f: () => T | Promise<T>): Promise<{ value: T } | { threw: string }> {
  try {
    return { value: await f() };
  } catch (error) {
    return { threw: error instanceof Error ? error.constructor.name : typeof error };
  }
}

// ---------------------------------------------------------------------------------------------

describe('signing keys', () => {
  it('derives the key the SDK signer derives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1 }),
        fc.stringMatching(/^[0-9]{8}$/),
        regionArb,
        serviceArb,
        async (secret, shortDate, region, service) => {
          const expected = await getSigningKey(sha256, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret }, shortDate, region, service);
          expect(Buffer.from(expected).equals(deriveSigningKey(secret, shortDate, region, service))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands out a cached key only for the same secret, date, region and service', () => {
    const cache = new SigningKeyCache(100);
    const first = cache.key('secret', '20250101', 'eu-west-1', 'sts');
    expect(cache.misses).toBe(1);
    expect(cache.key('secret', '20250101', 'eu-west-1', 'sts')).toBe(first);
    expect(cache.hits).toBe(1);
    const variants: [string, string, string, string][] = [
      ['secret2', '20250101', 'eu-west-1', 'sts'],
      ['secret', '20250102', 'eu-west-1', 'sts'],
      ['secret', '20250101', 'eu-west-2', 'sts'],
      ['secret', '20250101', 'eu-west-1', 'iam'],
      // Parts that run together the same way must not share an entry.
      ['secret', '20250101', 'eu-west-1s', 'ts'],
      ['tssecret', '20250101', 'eu-west-1', 's'],
      ['', '20250101', 'eu-west-1', 'stssecret'],
    ];
    for (const [secret, date, region, service] of variants) {
      const key = cache.key(secret, date, region, service).export();
      expect(key.equals(first.export())).toBe(false);
      expect(key.equals(deriveSigningKey(secret, date, region, service))).toBe(true);
    }
    expect(cache.misses).toBe(1 + variants.length);
    expect(cache.hits).toBe(1);
    expect(cache.size).toBe(1 + variants.length);
  });

  it('keeps at most its bound, dropping the least recently used', () => {
    const cache = new SigningKeyCache(3);
    for (const date of ['20250101', '20250102', '20250103']) cache.key('s', date, 'us-east-1', 'sts');
    cache.key('s', '20250101', 'us-east-1', 'sts'); // used again: the oldest is now 20250102
    cache.key('s', '20250104', 'us-east-1', 'sts');
    expect(cache.size).toBe(3);
    const misses = cache.misses;
    cache.key('s', '20250101', 'us-east-1', 'sts');
    expect(cache.misses).toBe(misses);
    cache.key('s', '20250102', 'us-east-1', 'sts');
    expect(cache.misses).toBe(misses + 1);
    for (let i = 0; i < 50; i++) cache.key(`s${i}`, '20250101', 'us-east-1', 'sts');
    expect(cache.size).toBe(3);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});

describe('header signatures', () => {
  it('match the signature of the AWS SigV4 test suite (get-vanilla)', () => {
    const auth = parseAuthorization(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    if (auth === undefined) throw new Error('unparsed');
    const request: IncomingSigned = {
      method: 'GET',
      rawPath: '/',
      rawQuery: '',
      headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      body: Buffer.alloc(0),
    };
    const secret = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    expect(verifyHeaderSignature(request, auth, secret, new Date(Date.UTC(2015, 7, 30, 12, 36, 0)), new SigningKeyCache())).toBe(true);
    expect(
      verifyHeaderSignature({ ...request, rawPath: '/x' }, auth, secret, new Date(Date.UTC(2015, 7, 30, 12, 36, 0)), new SigningKeyCache()),
    ).toBe(false);
  });

  it('accept what the SDK signer signs, as it signs it', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        regionArb,
        serviceArb,
        usualDateArb,
        pathArb,
        fc.dictionary(fc.constantFrom('maxResults', 'nextToken', 'a b', 'é', '*'), queryValue),
        fc.string({ maxLength: 40 }),
        async (secret, region, service, date, path, query, body) => {
          const client = new SignatureV4({ credentials: secret, region, service, sha256 });
          const signed = await client.sign(
            new HttpRequest({
              method: 'POST',
              protocol: 'http:',
              hostname: '127.0.0.1',
              port: 4566,
              path,
              query,
              headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-www-form-urlencoded' },
              body,
            }),
            { signingDate: date },
          );
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
          const auth = parseAuthorization(headers['authorization']);
          if (auth === undefined) throw new Error('unparsed');
          const rawQuery = Object.entries(query)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
            .join('&');
          const request: IncomingSigned = { method: 'POST', rawPath: signed.path, rawQuery, headers, body: Buffer.from(body) };
          const parsedDate = new Date(Math.floor(date.getTime() / 1000) * 1000);
          expect(verifyHeaderSignature(request, auth, secret, parsedDate, new SigningKeyCache())).toBe(true);
          expect(await referenceVerifyHeaderSignature(request, auth, secret, parsedDate)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('are byte-identical to the SDK signer on many odd requests, and give the same verdicts', async () => {
    const keys = new SigningKeyCache(64);
    let agreedTrue = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, fc.boolean(), async ({ request, auth, secret, date }, useProduced) => {
        const reference = await outcome(() => referenceHeaderAuthorization(request, auth, secret, date));
        const mine = await outcome(() => headerAuthorization(request, auth, secret, date, keys));
        expect(mine).toEqual(reference);
        // Half the time, claim the signature the signer produces: the verdict then turns on the signed-header list.
        const claimed =
          useProduced && 'value' in reference && reference.value !== undefined ? { ...auth, signature: reference.value.signature } : auth;
        const verdict = await outcome(() => referenceVerifyHeaderSignature(request, claimed, secret, date));
        expect(await outcome(() => verifyHeaderSignature(request, claimed, secret, date, keys))).toEqual(verdict);
        if ('value' in verdict && verdict.value) agreedTrue += 1;
      }),
      { numRuns: RUNS },
    );
    expect(agreedTrue).toBeGreaterThan(RUNS / 10);
  });

  it('refuse a signed header the server never got, as the SDK signer does: an inherited name throws, a missing one is refused', async () => {
    const base: Case = {
      request: {
        method: 'GET',
        rawPath: '/',
        rawQuery: '',
        headers: { host: 'h', 'x-amz-date': '20250101T000000Z' },
        body: Buffer.alloc(0),
      },
      auth: {
        accessKeyId: 'AKID',
        scopeDate: '20250101',
        region: 'us-east-1',
        service: 'sts',
        signedHeaders: ['host', 'x-amz-date', 'x-missing'],
        signature: '0'.repeat(64),
      },
      secret: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      date: new Date(Date.UTC(2025, 0, 1)),
    };
    expect(headerAuthorization(base.request, base.auth, base.secret, base.date)).toBeUndefined();
    for (const odd of ['constructor', '__proto__']) {
      const auth = { ...base.auth, signedHeaders: ['host', odd, 'x-amz-date'] };
      const reference = await outcome(() => referenceHeaderAuthorization(base.request, auth, base.secret, base.date));
      expect(await outcome(() => headerAuthorization(base.request, auth, base.secret, base.date))).toEqual(reference);
    }
    // Headers without a prototype, where __proto__ can be a header of its own: the signer never signs it.
    const bare = Object.assign(Object.create(null) as Record<string, string>, base.request.headers);
    Object.defineProperty(bare, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
    for (const signedHeaders of [
      ['__proto__', 'host', 'x-amz-date'],
      ['host', 'x-amz-date'],
    ]) {
      const request = { ...base.request, headers: bare };
      const auth = { ...base.auth, signedHeaders };
      const reference = await outcome(() => referenceHeaderAuthorization(request, auth, base.secret, base.date));
      expect(await outcome(() => headerAuthorization(request, auth, base.secret, base.date))).toEqual(reference);
    }
  });
});

describe('presigned cluster-token signatures', () => {
  it('are byte-identical to the SDK signer', async () => {
    const keys = new SigningKeyCache(16);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'sts.amazonaws.com',
          'sts.eu-west-1.amazonaws.com',
          'sts.cn-north-1.amazonaws.com.cn',
          'STS.AMAZONAWS.COM',
          ' sts.amazonaws.com ',
        ),
        regionArb,
        fc.oneof(fc.constantFrom('payments-prod', 'a', ''), text(ODD, 20)),
        dateArb,
        fc.oneof(fc.integer({ min: 0, max: 900 }), fc.constant(604800)),
        secretArb,
        async (host, region, clusterName, signingDate, expiresIn, secret) => {
          const options = { host, region, clusterName, signingDate, expiresIn };
          expect(presignedTokenSignature(options, secret, keys)).toBe(await referencePresignedTokenSignature(options, secret));
        },
      ),
      { numRuns: RUNS },
    );
    expect(keys.size).toBeLessThanOrEqual(16);
  });

  it('refuse an expiry beyond a week, as the SDK signer does', async () => {
    const options = { host: 'sts.amazonaws.com', region: 'us-east-1', clusterName: 'c', signingDate: new Date(), expiresIn: 604801 };
    const secret = { accessKeyId: 'AKID', secretAccessKey: 's' };
    await expect(referencePresignedTokenSignature(options, secret)).rejects.toBeDefined();
    expect(() => presignedTokenSignature(options, secret)).toThrow(RangeError);
  });
});
