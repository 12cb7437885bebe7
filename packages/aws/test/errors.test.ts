import { ConflictError, type ErrorCode, type ErrorKind } from '@eks-auth-hub/core';
import { describe, expect, it } from 'vitest';
import { fromAwsError, fromKubeError } from '../src/errors.js';

function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });
}

describe('fromAwsError', () => {
  // The expected codes are ErrorCodes: a code the core compares and the adapter makes cannot drift apart.
  it.each<[Error, ErrorKind, ErrorCode]>([
    [sdkError('Throttling', 400), 'transient', 'aws.throttled'],
    [sdkError('ThrottlingException', 429), 'transient', 'aws.throttled'],
    [sdkError('InternalFailure', 500, { $fault: 'server' }), 'transient', 'aws.unavailable'],
    [sdkError('ServiceUnavailableException', 503), 'transient', 'aws.unavailable'],
    [sdkError('TimeoutError'), 'transient', 'aws.timeout'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient', 'aws.network'],
    [sdkError('AccessDenied', 403), 'terminal', 'aws.access-denied'],
    [sdkError('AccessDeniedException', 403), 'terminal', 'aws.access-denied'],
    [sdkError('InvalidClientTokenId', 403), 'terminal', 'aws.credentials'],
    [sdkError('ExpiredToken', 400), 'terminal', 'aws.credentials'],
    [sdkError('SignatureDoesNotMatch', 403), 'terminal', 'aws.credentials'],
    [sdkError('ResourceNotFoundException', 404), 'terminal', 'aws.not-found'],
    [sdkError('NoSuchEntity', 404), 'terminal', 'aws.not-found'],
    [sdkError('ValidationError', 400), 'terminal', 'aws.error'],
  ])('%s → %s %s', (error, kind, code) => {
    const translated = fromAwsError(error, 'iam:ListRoles in 111122223333');
    expect(translated).toMatchObject({ kind, code });
    expect(translated.cause).toBe(error);
    expect(translated.message).toMatch(/^iam:ListRoles in 111122223333: /);
  });
});

describe('fromKubeError', () => {
  const apiException = (code: number, body?: unknown): Error => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body });
  const status = (reason: string, message: string): string => JSON.stringify({ kind: 'Status', reason, message, code: 0 });

  it.each<[Error, ErrorKind, ErrorCode, string]>([
    [
      apiException(409, status('Conflict', 'the object has been modified')),
      'transient',
      'kube.conflict',
      'HTTP 409 Conflict: the object has been modified',
    ],
    [apiException(401), 'terminal', 'kube.unauthorized', 'HTTP 401 Unauthorized'],
    [
      apiException(403, status('Forbidden', 'configmaps "aws-auth" is forbidden')),
      'terminal',
      'kube.forbidden',
      'HTTP 403 Forbidden: configmaps "aws-auth" is forbidden',
    ],
    [apiException(404, status('NotFound', 'configmaps "aws-auth" not found')), 'terminal', 'kube.not-found', 'HTTP 404 NotFound'],
    [apiException(422, status('Invalid', 'Too long')), 'terminal', 'kube.rejected', 'HTTP 422 Invalid: Too long'],
    [apiException(429), 'transient', 'kube.unavailable', 'HTTP 429'],
    [apiException(503, 'upstream down'), 'transient', 'kube.unavailable', 'HTTP 503: upstream down'],
    [
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError', type: 'aborted' }),
      'transient',
      'kube.timeout',
      'aborted',
    ],
    [
      Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      'terminal',
      'kube.tls',
      'unable to verify',
    ],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'transient', 'kube.network', 'ECONNREFUSED'],
  ])('%s', (error, kind, code, fragment) => {
    const translated = fromKubeError(error, 'read kube-system/aws-auth of c1');
    expect(translated).toMatchObject({ kind, code });
    // A 401 says how to let the hub in; nothing else does.
    expect(translated.message.includes('docs/deploy.md "6. Onboarding a cluster"')).toBe(code === 'kube.unauthorized');
    expect(translated.message).toContain(fragment);
    expect(translated.cause).toBe(error);
  });

  it('makes a 409 a ConflictError, which the pass re-plans on', () => {
    expect(fromKubeError(apiException(409), 'replace')).toBeInstanceOf(ConflictError);
  });
});
