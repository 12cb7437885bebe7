/**
 * SDK and Kubernetes client errors translated into the core's typed errors: `transient` (retry on a
 * later pass: throttling, 5xx, timeouts, resets, conflicts) or `terminal` (retrying will not help:
 * access denied, not found, unauthorised). The original error stays as `cause`; messages carry no
 * credentials.
 */
import { ConflictError, type ErrorCode, HubError } from '@eks-auth-hub/core';

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL/;

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]?.trim() ?? '';
}

/** Translates an AWS SDK error raised while doing `what` (e.g. "iam:ListRoles in 111122223333"). */
export function fromAwsError(error: unknown, what: string): HubError {
  if (error instanceof HubError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkLikeError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = `${what}: ${name}: ${firstLine(e.message)}`;
  const make = (kind: 'transient' | 'terminal', code: ErrorCode): HubError => new HubError(kind, code, message, { cause: error });
  if (THROTTLING.has(name) || status === 429) return make('transient', 'aws.throttled');
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError' || e.code === 'ETIMEDOUT')
    return make('transient', 'aws.timeout');
  if ((e.code !== undefined && NETWORK.has(e.code)) || /socket hang up|ECONNRESET|ECONNREFUSED/.test(e.message ?? ''))
    return make('transient', 'aws.network');
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) return make('transient', 'aws.unavailable');
  if (/AccessDenied/.test(name) || (status === 403 && /Unauthorized|Forbidden/.test(name))) return make('terminal', 'aws.access-denied');
  if (
    [
      'InvalidClientTokenId',
      'UnrecognizedClientException',
      'SignatureDoesNotMatch',
      'InvalidSignatureException',
      'ExpiredToken',
      'ExpiredTokenException',
      'MissingAuthenticationToken',
      'CredentialsProviderError',
    ].includes(name)
  ) {
    return make('terminal', 'aws.credentials');
  }
  if (/NotFound|NoSuchEntity/.test(name) || status === 404) return make('terminal', 'aws.not-found');
  return make('terminal', 'aws.error');
}

/** What a 401 from a cluster means for the hub, and where the fix is written down. */
export const ONBOARDING_HINT =
  'the cluster does not let the hub\'s spoke role in: onboard it as docs/deploy.md "6. Onboarding a cluster" says (map the spoke role in aws-auth, create the cluster as it, or give it an access entry)';

const STATUS_REASONS: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
};

interface ApiExceptionLike {
  code?: number | string;
  body?: unknown;
  message?: string;
  name?: string;
  type?: string;
}

/** Translates a client-node error raised while doing `what` (e.g. "read kube-system/aws-auth of payments-prod"). */
export function fromKubeError(error: unknown, what: string): HubError {
  if (error instanceof HubError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ApiExceptionLike;
  if (typeof e.code === 'number') {
    let reason = '';
    let detail = '';
    let status: unknown = e.body;
    if (typeof e.body === 'string') {
      try {
        status = JSON.parse(e.body);
      } catch {
        detail = firstLine(e.body);
      }
    }
    if (typeof status === 'object' && status !== null) {
      const s = status as { reason?: unknown; message?: unknown };
      reason = typeof s.reason === 'string' ? s.reason : '';
      detail = typeof s.message === 'string' ? firstLine(s.message) : '';
    }
    // client-node drops the body of a 401; the status says enough.
    if (reason === '') reason = STATUS_REASONS[e.code] ?? '';
    const message = `${what}: HTTP ${e.code}${reason === '' ? '' : ` ${reason}`}${detail === '' ? '' : `: ${detail}`}`;
    if (e.code === 409) return new ConflictError(message, { cause: error });
    if (e.code === 401) return new HubError('terminal', 'kube.unauthorized', `${message}; ${ONBOARDING_HINT}`, { cause: error });
    if (e.code === 403) return new HubError('terminal', 'kube.forbidden', message, { cause: error });
    if (e.code === 404) return new HubError('terminal', 'kube.not-found', message, { cause: error });
    if (e.code === 429 || e.code >= 500) return new HubError('transient', 'kube.unavailable', message, { cause: error });
    return new HubError('terminal', 'kube.rejected', message, { cause: error });
  }
  const code = typeof e.code === 'string' ? e.code : '';
  const text = `${code} ${e.message ?? ''}`;
  const message = `${what}: ${firstLine(e.message) || code || 'request failed'}`;
  if (e.name === 'AbortError' || e.type === 'aborted' || e.name === 'TimeoutError')
    return new HubError('transient', 'kube.timeout', message, { cause: error });
  if (TLS.test(text)) return new HubError('terminal', 'kube.tls', message, { cause: error });
  return new HubError('transient', 'kube.network', message, { cause: error });
}
