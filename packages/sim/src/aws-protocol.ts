/**
 * The wire plumbing the simulated AWS services share: the request and context they are handed, the
 * Query protocol's XML answers and errors (STS, IAM), REST-JSON's (EKS), the errors each protocol
 * names for throttling, faults and authentication, and the opaque pagination markers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counters, Faults } from './faults.js';
import { httpDate } from './http-date.js';
import { SimError } from './sim-error.js';
import type { World } from './world.js';

const XMLNS: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
};

export interface AwsApiContext {
  readonly world: World;
  readonly faults: Faults;
  readonly counters: Counters;
  /** Base URL of the simulated Kubernetes API servers (`https://127.0.0.1:PORT`). */
  readonly kubeBaseUrl: () => string;
  /** base64 PEM of the CA that signs the Kubernetes API servers' certificate. */
  readonly caData: string;
  /** Requests left unanswered on purpose (hang faults); closed on shutdown. */
  readonly hanging: Set<ServerResponse>;
}

const XML_SPECIAL = /[<>&'"]/;

function xmlEscape(value: string): string {
  if (!XML_SPECIAL.test(value)) return value;
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

export type Protocol = 'query' | 'rest-json';

/** Answers with the error shape the SDK of that protocol parses into a named exception. */
export function sendError(res: ServerResponse, protocol: Protocol, service: string, error: SimError, requestId: string): void {
  if (protocol === 'query') {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    const body = `<ErrorResponse xmlns="${XMLNS[service] ?? XMLNS['sts']}"><Error><Type>${type}</Type>${el('Code', error.code)}${el('Message', error.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
    res.writeHead(error.status, {
      'content-type': 'text/xml',
      'x-amzn-requestid': requestId,
      date: httpDate(),
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const body = JSON.stringify({ message: error.message });
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'x-amzn-requestid': requestId,
    date: httpDate(),
    'x-amzn-errortype': error.code,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendXml(res: ServerResponse, service: string, action: string, result: string, requestId: string): void {
  const body = `<${action}Response xmlns="${XMLNS[service] ?? ''}"><${action}Result>${result}</${action}Result><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
  res.writeHead(200, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    date: httpDate(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, value: unknown, requestId: string): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    'content-type': 'application/json',
    'x-amzn-requestid': requestId,
    date: httpDate(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Throttling, 5xx and auth errors as each protocol names them. */
const ERRORS = {
  throttle: { query: [400, 'Throttling', 'Rate exceeded'], 'rest-json': [429, 'ThrottlingException', 'Rate exceeded'] },
  error: {
    query: [500, 'InternalFailure', 'We encountered an internal error. Please try again.'],
    'rest-json': [500, 'ServerException', 'Internal server error'],
  },
  unknownKey: {
    query: [403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'],
    'rest-json': [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'],
  },
  expired: {
    query: [403, 'ExpiredToken', 'The security token included in the request is expired'],
    'rest-json': [403, 'ExpiredTokenException', 'The security token included in the request is expired'],
  },
  badSignature: {
    query: [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'],
    'rest-json': [403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'],
  },
  missingAuth: {
    query: [403, 'MissingAuthenticationToken', 'Request is missing Authentication Token'],
    'rest-json': [403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'],
  },
} as const;

export function protocolError(kind: keyof typeof ERRORS, protocol: Protocol): SimError {
  const [status, code, message] = ERRORS[kind][protocol];
  return new SimError(status, code, message);
}

export interface RawRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export function one(form: Record<string, string | string[]>, key: string): string | undefined {
  const value = form[key];
  return Array.isArray(value) ? value[0] : value;
}

export function encodeMarker(offset: number): string {
  return Buffer.from(`m:${offset}`).toString('base64');
}

export function decodeMarker(marker: string): number {
  const match = /^m:([0-9]+)$/.exec(Buffer.from(marker, 'base64').toString('utf8'));
  if (match === null) throw new SimError(400, 'ValidationError', 'Invalid Marker');
  return Number(match[1]);
}
