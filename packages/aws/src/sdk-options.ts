import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LRUCache } from 'lru-cache';
import type { Partition } from '@eks-auth-hub/core';

/** Settings shared by every AWS SDK client the hub makes. */
export interface SdkOptions {
  readonly observer?: RequestObserver;
  /** Attempts per call, with the SDK's standard retry strategy (backoff with jitter). */
  readonly maxAttempts?: number;
  readonly connectionTimeoutMs?: number;
  /** No answer within this many ms fails the attempt. */
  readonly requestTimeoutMs?: number;
}

/** One request handler (and so one pool of kept-alive connections per host) for all clients made with the same options. */
const handlers = new WeakMap<SdkOptions, NodeHttpHandler>();

export type ClientSettings = {
  maxAttempts: number;
  retryMode: 'standard';
  requestHandler: NodeHttpHandler;
  cacheMiddleware: true;
};

export function clientSettings(options: SdkOptions): ClientSettings {
  let requestHandler = handlers.get(options);
  if (requestHandler === undefined) {
    // Shared by every client: sockets for every request the hub has in flight (clusters × their parallel calls).
    requestHandler = new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? Math.min(5_000, options.requestTimeoutMs ?? 5_000),
      requestTimeout: options.requestTimeoutMs ?? 15_000,
      httpAgent: { keepAlive: true, maxSockets: 512 },
      httpsAgent: { keepAlive: true, maxSockets: 512 },
    });
    handlers.set(options, requestHandler);
  }
  // The middleware stack is resolved once per client and command type instead of on every call (about a
  // fifth of the SDK's CPU per call); the hub never changes a command's stack per call.
  return { maxAttempts: options.maxAttempts ?? 3, retryMode: 'standard', requestHandler, cacheMiddleware: true };
}

/**
 * SDK clients by key (an account, or an account and region), made on first use and kept for the
 * most recently used `max` keys: a client costs tens of kilobytes, and a hub serving thousands of
 * accounts needs only those it is working in. They share one request handler, so a client that goes
 * closes nothing.
 */
export class SdkClients<T> {
  private readonly clients: LRUCache<string, { readonly client: T }>;

  constructor(
    private readonly options: SdkOptions,
    private readonly make: (settings: ClientSettings, key: string) => T,
    max = 1_024,
  ) {
    this.clients = new LRUCache({ max });
  }

  get(key: string): T {
    let entry = this.clients.get(key);
    if (entry === undefined) {
      entry = { client: this.make(clientSettings(this.options), key) };
      this.clients.set(key, entry);
    }
    return entry.client;
  }
}

/** The region IAM (a global service) is called in for a partition. */
export function iamRegion(partition: Partition): string {
  return partition === 'aws-cn' ? 'cn-north-1' : partition === 'aws-us-gov' ? 'us-gov-west-1' : 'us-east-1';
}

/** Told about every request the adapters make, for metrics. Outcome: `ok` or the error code without its prefix. */
export interface RequestObserver {
  aws(service: string, operation: string, outcome: string, durationMs: number): void;
  kube(verb: string, code: string, durationMs: number): void;
}

export const NO_OBSERVER: RequestObserver = { aws: () => undefined, kube: () => undefined };

/** Runs one AWS call, telling the observer how it ended. */
export async function observed<T>(observer: RequestObserver, service: string, operation: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await run();
    observer.aws(service, operation, 'ok', performance.now() - started);
    return result;
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code.replace(/^aws\./, '') : 'error';
    observer.aws(service, operation, code, performance.now() - started);
    throw error;
  }
}
