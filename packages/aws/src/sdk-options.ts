import { NODE_APP_ID_CONFIG_OPTIONS } from '@aws-sdk/core/client';
import { NODE_AUTH_SCHEME_PREFERENCE_OPTIONS } from '@aws-sdk/core/httpAuthSchemes';
import type { Partition } from '@eks-auth-hub/core';
import { loadConfig, NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS } from '@smithy/core/config';
import { resolveEndpointConfig } from '@smithy/core/endpoints';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { LRUCache } from 'lru-cache';
import { CappedNodeHttpHandler } from './bounded-answers.js';

/** Settings shared by every AWS SDK client the hub makes. */
export interface SdkOptions {
  readonly observer?: RequestObserver;
  /** Attempts per call, with the SDK's standard retry strategy (backoff with jitter). */
  readonly maxAttempts?: number;
  readonly connectionTimeoutMs?: number;
  /** No answer within this many ms fails the attempt. */
  readonly requestTimeoutMs?: number;
}

/** The request timeout of one attempt, in ms. */
export function requestTimeoutMs(options: SdkOptions): number {
  return options.requestTimeoutMs ?? 15_000;
}

/** Attempts per call. */
export function maxAttempts(options: SdkOptions): number {
  return options.maxAttempts ?? 3;
}

/**
 * How long one call may take across all its attempts: each attempt ends within the request timeout,
 * and the standard retry strategy's backoff between attempts is well under 2 s each (it grows to
 * 20 s only after many more attempts than the hub makes). Past this, the call is aborted even if a
 * part of it the request timeout does not cover (reading a body that stops flowing, a credential
 * lookup) hangs.
 */
export function callDeadlineMs(options: SdkOptions): number {
  const attempts = maxAttempts(options);
  return attempts * requestTimeoutMs(options) + (attempts - 1) * 2_000 + 500;
}

/** The signal one call is sent with, and its release once the call is over. */
export interface CallDeadline {
  readonly signal: AbortSignal;
  /** The call is over: clears its timer and stops listening to the pass's signal. */
  done(): void;
}

/**
 * The signal one call is sent with: aborted at the call's deadline (callDeadlineMs) or when the
 * pass's `signal` aborts. Released by `done()` as soon as the call is over, so that neither a timer
 * nor a listener on the pass's signal outlives the call (a pass makes thousands of calls).
 */
export function callDeadline(options: SdkOptions, signal?: AbortSignal): CallDeadline {
  const controller = new AbortController();
  const ms = callDeadlineMs(options);
  const timer = setTimeout(() => controller.abort(new Error(`the call took longer than ${ms} ms in all`)), ms);
  timer.unref();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Runs one call with a CallDeadline, released when the call ends. */
export async function withCallDeadline<T>(
  options: SdkOptions,
  signal: AbortSignal | undefined,
  run: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = callDeadline(options, signal);
  try {
    return await run(deadline.signal);
  } finally {
    deadline.done();
  }
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
    // Answers are counted as they arrive and refused past MAX_AWS_ANSWER_BYTES (bounded-answers.ts).
    requestHandler = new CappedNodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? Math.min(5_000, options.requestTimeoutMs ?? 5_000),
      requestTimeout: requestTimeoutMs(options),
      // Without it the handler only logs a warning when the timeout passes and the call waits on for ever.
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: 512 },
      httpsAgent: { keepAlive: true, maxSockets: 512 },
    });
    handlers.set(options, requestHandler);
  }
  // The middleware stack is resolved once per client and command type instead of on every call (about a
  // fifth of the SDK's CPU per call); the hub never changes a command's stack per call.
  return { maxAttempts: maxAttempts(options), retryMode: 'standard', requestHandler, cacheMiddleware: true };
}

/**
 * What every client would otherwise look up for itself, in the environment, then the shared config
 * files, then the default (a chain of lookups that fail one after the other: about 0.4 ms of CPU per
 * client, and the hub makes one client per account and region). Looked up once instead, with the
 * SDK's own loaders and selectors, and given to every client as plain values, which the SDK uses as
 * it would use what it looked up: `AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint`,
 * `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint`, `AWS_SDK_UA_APP_ID` / `sdk_ua_app_id`,
 * `AWS_AUTH_SCHEME_PREFERENCE` / `auth_scheme_preference`.
 */
export interface SharedSdkSettings {
  readonly useFipsEndpoint: boolean;
  readonly useDualstackEndpoint: boolean;
  /** A provider: a client given `undefined` would look the value up again. */
  readonly userAgentAppId: () => Promise<string | undefined>;
  readonly authSchemePreference: string[];
  /**
   * Set when the SDK finds no endpoint URL configured for the service (`AWS_ENDPOINT_URL_<SERVICE>`,
   * `AWS_ENDPOINT_URL`, the profile's `endpoint_url` or `services` section, or they are ignored with
   * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`): then a client need not look for one. When one is
   * configured, clients find and use it themselves, exactly as without this.
   */
  readonly ignoreConfiguredEndpointUrls?: true;
}

export type ServiceClientSettings = ClientSettings & SharedSdkSettings;

/** Looked up once per SdkOptions (so once per hub): the same environment and files for every client. */
const shared = new WeakMap<SdkOptions, Promise<Omit<SharedSdkSettings, 'ignoreConfiguredEndpointUrls'>>>();
const endpointsConfigured = new WeakMap<SdkOptions, Map<string, Promise<boolean | undefined>>>();

async function lookUpShared(): Promise<Omit<SharedSdkSettings, 'ignoreConfiguredEndpointUrls'>> {
  const [useFipsEndpoint, useDualstackEndpoint, appId, authSchemePreference] = await Promise.all([
    loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS)(),
    loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS)(),
    loadConfig(NODE_APP_ID_CONFIG_OPTIONS)(),
    loadConfig(NODE_AUTH_SCHEME_PREFERENCE_OPTIONS)(),
  ]);
  return { useFipsEndpoint, useDualstackEndpoint, userAgentAppId: () => Promise.resolve(appId), authSchemePreference };
}

/**
 * Whether an endpoint URL is configured for `serviceId` ("EKS", "IAM"), found the way every client of
 * the service finds it (the resolution `resolveEndpointConfig` gives each client); undefined when this
 * SDK version does not say, and clients then look for themselves.
 */
async function lookUpEndpointConfigured(serviceId: string): Promise<boolean | undefined> {
  const resolved = resolveEndpointConfig({
    serviceId,
    urlParser: () => {
      throw new Error('no endpoint to parse');
    },
    endpointProvider: () => {
      throw new Error('no endpoint to resolve');
    },
  });
  const configured = resolved.serviceConfiguredEndpoint;
  return configured === undefined ? undefined : (await configured()) !== undefined;
}

/** A promise kept in `map` under `key` until it fails (then the next caller looks again). */
function once<K extends object | string, V>(
  map: { get(key: K): Promise<V> | undefined; set(key: K, value: Promise<V>): unknown; delete(key: K): unknown },
  key: K,
  make: () => Promise<V>,
): Promise<V> {
  let promise = map.get(key);
  if (promise === undefined) {
    const made = make();
    promise = made;
    map.set(key, made);
    made.catch(() => {
      if (map.get(key) === made) map.delete(key);
    });
  }
  return promise;
}

/** The settings for a client of `serviceId`: clientSettings plus what is looked up once (SharedSdkSettings). */
export async function serviceClientSettings(options: SdkOptions, serviceId: string): Promise<ServiceClientSettings> {
  let byService = endpointsConfigured.get(options);
  if (byService === undefined) {
    byService = new Map();
    endpointsConfigured.set(options, byService);
  }
  const [common, configured] = await Promise.all([
    once(shared, options, lookUpShared),
    once(byService, serviceId, () => lookUpEndpointConfigured(serviceId)),
  ]);
  return { ...clientSettings(options), ...common, ...(configured === false ? { ignoreConfiguredEndpointUrls: true } : {}) };
}

/**
 * SDK clients of one service by key (an account, or an account and region), made on first use and
 * kept for the most recently used `max` keys: a client costs tens of kilobytes, and a hub serving
 * thousands of accounts needs only those it is working in. They share one request handler, so a
 * client that goes closes nothing.
 */
export class SdkClients<T> {
  private readonly clients: LRUCache<string, { readonly client: T }>;

  constructor(
    private readonly options: SdkOptions,
    /** The SDK's service id (`EKS`, `IAM`): what its endpoint settings are named after. */
    private readonly serviceId: string,
    private readonly make: (settings: ServiceClientSettings, key: string) => T,
    max = 1_024,
  ) {
    this.clients = new LRUCache({ max });
  }

  async get(key: string): Promise<T> {
    const kept = this.clients.get(key);
    if (kept !== undefined) return kept.client;
    const settings = await serviceClientSettings(this.options, this.serviceId);
    // Another call may have made it meanwhile.
    let entry = this.clients.get(key);
    if (entry === undefined) {
      entry = { client: this.make(settings, key) };
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
  /** A session refused by a call, dropped and assumed again (reason: access-denied, invalid-token, expired-token, cluster-unauthorized). */
  sessionRefresh?(reason: string): void;
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
    const code =
      typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
        ? error.code.replace(/^aws\./, '')
        : 'error';
    observer.aws(service, operation, code, performance.now() - started);
    throw error;
  }
}
