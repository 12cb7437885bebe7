import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Partition } from '@eks-auth-hub/core';

/** Settings shared by every AWS SDK client the hub makes. */
export interface SdkOptions {
  /** Attempts per call, with the SDK's standard retry strategy (backoff with jitter). */
  readonly maxAttempts?: number;
  readonly connectionTimeoutMs?: number;
  /** No answer within this many ms fails the attempt. */
  readonly requestTimeoutMs?: number;
}

export function clientSettings(options: SdkOptions): {
  maxAttempts: number;
  retryMode: 'standard';
  requestHandler: NodeHttpHandler;
} {
  return {
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 15_000,
    }),
  };
}

/** The region IAM (a global service) is called in for a partition. */
export function iamRegion(partition: Partition): string {
  return partition === 'aws-cn' ? 'cn-north-1' : partition === 'aws-us-gov' ? 'us-gov-west-1' : 'us-east-1';
}
