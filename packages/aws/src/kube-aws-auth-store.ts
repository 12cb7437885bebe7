/**
 * `kube-system/aws-auth` through the Kubernetes API with @kubernetes/client-node: the cluster CA from
 * DescribeCluster (TLS is always verified), a presigned-STS bearer token, a timeout on every request.
 * A write replaces the object read, with its resourceVersion, so fields the hub does not manage
 * (labels, owner references, finalizers, binaryData, immutable) stay as they were; managedFields are
 * left out, which the API server reads as "keep them".
 *
 * A request that failed with a 429, a 5xx or a broken connection is tried again (`maxAttempts` in
 * all, backing off exponentially with jitter). A retried write is still safe: it carries the
 * resourceVersion it was planned from, so if the first attempt did land the retry gets a 409 and the
 * pass re-plans. A request that timed out is not retried: a hanging server must not hold a pass for
 * several timeouts.
 */

import {
  type AwsAuthStore,
  type AwsAuthWrite,
  type ClusterEndpoint,
  type ClusterRef,
  configMapDataBytes,
  type ErrorCode,
  HISTORY_CONFIGMAP,
  type HistoryEntry,
  HubError,
  MAX_CONFIGMAP_DATA_BYTES,
  type ObservedAwsAuth,
  readHistory,
  renderHistory,
} from '@eks-auth-hub/core';
import {
  CoreV1Api,
  createConfiguration,
  type SecurityAuthentication,
  ServerConfiguration,
  type V1ConfigMap,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import pRetry from 'p-retry';
import { CappedKubeHttp } from './bounded-answers.js';
import type { ClusterTokens } from './cluster-token.js';
import { allowedHostsFromEnv, checkClusterEndpoint } from './endpoint-hosts.js';
import { fromKubeError } from './errors.js';
import { KubeAgents } from './kube-agents.js';
import { NO_OBSERVER, type RequestObserver } from './sdk-options.js';

export const AWS_AUTH_NAMESPACE = 'kube-system';
export const AWS_AUTH_NAME = 'aws-auth';

export interface KubeStoreOptions {
  /** No answer within this many ms fails the request. */
  readonly requestTimeoutMs?: number;
  /** Attempts per request for 429, 5xx and connection errors (default 3; 1 = no retry). */
  readonly maxAttempts?: number;
  /** Delay before the first retry, in ms (doubled for each further one, with jitter; default 200). */
  readonly retryDelayMs?: number;
  readonly observer?: RequestObserver;
  /** Clusters whose last read object is kept for their write (default READS_KEPT). */
  readonly readsKept?: number;
  /** API server hosts allowed beyond the partition's EKS hosts (default: EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS). */
  readonly allowedEndpointHosts?: readonly string[];
}

const CAPPED_HTTP = wrapHttpLibrary(new CappedKubeHttp());

/**
 * A ConfigMap read is used only when it is one an API server can hold (at most 1 MiB of data and
 * decoded binaryData): a larger one is a broken or hostile server's, and fails the cluster.
 */
function checkedSize(object: V1ConfigMap, what: string): V1ConfigMap {
  const bytes = configMapDataBytes(object.data ?? {}, object.binaryData ?? {});
  if (bytes > MAX_CONFIGMAP_DATA_BYTES) {
    throw new HubError(
      'terminal',
      'kube.configmap-too-large',
      `${what}: it holds ${bytes} bytes of data; an API server never serves a ConfigMap over ${MAX_CONFIGMAP_DATA_BYTES} bytes`,
    );
  }
  return object;
}

/** Kubernetes errors worth another attempt within the same pass. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['kube.unavailable', 'kube.network']);

const SUCCESS_CODE: Readonly<Record<string, string>> = { get: '200', create: '201', update: '200' };

/** The object without what a write replaces anyway (data, annotations) or drops (managedFields): kept per cluster, so small. */
function unmanagedPart(object: V1ConfigMap): V1ConfigMap {
  const { data: _data, ...rest } = object;
  const { annotations: _annotations, managedFields: _managed, ...metadata } = object.metadata ?? {};
  return { ...rest, metadata };
}

/**
 * Clusters whose last read object is kept for a write: far more than a pass has in flight
 * (hub.concurrency is at most 256). A write whose object is no longer kept reads it first.
 */
export const READS_KEPT = 1_024;

export class KubeAwsAuthStore implements AwsAuthStore {
  /**
   * What the last object read per cluster holds beyond data and annotations, so a write can keep what
   * the hub does not manage. Only the most recently read `READS_KEPT`: it is needed between a
   * cluster's read and its write in the same pass, not by the clusters with nothing to write.
   */
  private readonly lastRead: LRUCache<string, V1ConfigMap>;
  /** Explicit extra hosts; undefined: EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS, read when checking (like the SDK's own settings). */
  private readonly allowedHosts: readonly string[] | undefined;
  /** Requests made per verb (for tests and the benchmark). */
  readonly calls: Record<string, number> = {};

  constructor(
    private readonly tokens: ClusterTokens,
    private readonly options: KubeStoreOptions = {},
    private readonly agents: KubeAgents = new KubeAgents(),
  ) {
    this.lastRead = new LRUCache<string, V1ConfigMap>({ max: options.readsKept ?? READS_KEPT });
    this.allowedHosts = options.allowedEndpointHosts;
  }

  private key(cluster: ClusterRef): string {
    return `${cluster.partition}/${cluster.account}/${cluster.region}/${cluster.name}`;
  }

  /**
   * A client for the cluster with its token, and the access key of the session that signed the token;
   * its every request ends within the request timeout, or when `signal` aborts.
   */
  private async api(
    cluster: ClusterRef,
    endpoint: ClusterEndpoint,
    signal: AbortSignal | undefined,
  ): Promise<{ readonly api: CoreV1Api; readonly accessKeyId: string }> {
    // Checked here too, before a token is made, whoever described the cluster: the token opens it.
    checkClusterEndpoint(endpoint.endpoint, cluster.region, this.allowedHosts ?? allowedHostsFromEnv(), cluster.name);
    const { token, accessKeyId } = await this.tokens.signed(cluster, signal);
    // The bearer token, and a kept-alive connection verified against the cluster's CA.
    const agent = this.agents.forCa(endpoint.caPem);
    const auth: SecurityAuthentication = {
      getName: () => 'eks-token',
      applySecurityAuthentication: (context) => {
        context.setHeaderParam('Authorization', `Bearer ${token}`);
        context.setAgent(agent);
      },
    };
    const timeoutMs = this.options.requestTimeoutMs ?? 15_000;
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(endpoint.endpoint, {}),
      // Answers counted as they arrive, refused past MAX_KUBE_ANSWER_BYTES; no redirect followed.
      httpApi: CAPPED_HTTP,
      authMethods: { default: auth },
      promiseMiddleware: [
        {
          pre: async (context) => {
            const timeout = AbortSignal.timeout(timeoutMs);
            context.setSignal(signal === undefined ? timeout : AbortSignal.any([signal, timeout]));
            return context;
          },
          post: async (response) => response,
        },
      ],
    });
    return { api: new CoreV1Api(configuration), accessKeyId };
  }

  private count(verb: string): void {
    this.calls[verb] = (this.calls[verb] ?? 0) + 1;
  }

  /**
   * One request with the cluster's token. A 401 renews the session that signed the token (once per
   * account per pass: StsAccountSessions.refresh) and makes the request again with a new token before
   * the 401 stands.
   */
  private async call<T>(
    cluster: ClusterRef,
    endpoint: ClusterEndpoint,
    verb: string,
    what: string,
    signal: AbortSignal | undefined,
    run: (api: CoreV1Api) => Promise<T>,
    object = `${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME}`,
  ): Promise<T> {
    const { api, accessKeyId } = await this.api(cluster, endpoint, signal);
    try {
      return await this.retried(cluster, verb, what, signal, () => run(api), object);
    } catch (error) {
      if (!(error instanceof HubError) || error.code !== 'kube.unauthorized' || !(await this.tokens.refused(cluster, accessKeyId)))
        throw error;
      const again = await this.api(cluster, endpoint, signal);
      return this.retried(cluster, verb, what, signal, () => run(again.api), object);
    }
  }

  private async retried<T>(
    cluster: ClusterRef,
    verb: string,
    what: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
    object: string,
  ): Promise<T> {
    const attempts = Math.max(1, this.options.maxAttempts ?? 3);
    return pRetry(() => this.attempt(cluster, verb, what, run, object), {
      // No retry (nor wait for one) once the pass is over.
      ...(signal === undefined ? {} : { signal }),
      retries: attempts - 1,
      minTimeout: this.options.retryDelayMs ?? 200,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof HubError && RETRYABLE.has(error.code),
    });
  }

  private async attempt<T>(cluster: ClusterRef, verb: string, what: string, run: () => Promise<T>, object: string): Promise<T> {
    this.count(verb);
    const observer = this.options.observer ?? NO_OBSERVER;
    const started = performance.now();
    try {
      const result = await run();
      observer.kube(verb, SUCCESS_CODE[verb] ?? '200', performance.now() - started);
      return result;
    } catch (error) {
      const status =
        typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number' ? String(error.code) : undefined;
      const translated = fromKubeError(error, `${what} ${object} of ${cluster.name}`);
      observer.kube(verb, status ?? translated.code.replace(/^kube\./, ''), performance.now() - started);
      if (translated.code === 'kube.unauthorized') this.tokens.forget(cluster);
      throw translated;
    }
  }

  async read(cluster: ClusterRef, endpoint: ClusterEndpoint, signal?: AbortSignal): Promise<ObservedAwsAuth | null> {
    try {
      const object = checkedSize(
        await this.call(cluster, endpoint, 'get', 'read', signal, (api) =>
          api.readNamespacedConfigMap({ name: AWS_AUTH_NAME, namespace: AWS_AUTH_NAMESPACE }),
        ),
        `read ${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME} of ${cluster.name}`,
      );
      this.lastRead.set(this.key(cluster), unmanagedPart(object));
      return {
        data: { ...(object.data ?? {}) },
        annotations: { ...(object.metadata?.annotations ?? {}) },
        resourceVersion: object.metadata?.resourceVersion ?? '',
        ...(object.binaryData === undefined || Object.keys(object.binaryData).length === 0 ? {} : { binaryData: { ...object.binaryData } }),
        ...(object.immutable === undefined ? {} : { immutable: object.immutable }),
      };
    } catch (error) {
      if (error instanceof HubError && error.code === 'kube.not-found') {
        this.lastRead.delete(this.key(cluster));
        return null;
      }
      throw error;
    }
  }

  async write(cluster: ClusterRef, endpoint: ClusterEndpoint, change: AwsAuthWrite, signal?: AbortSignal): Promise<void> {
    if (change.create) {
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: AWS_AUTH_NAME, namespace: AWS_AUTH_NAMESPACE, annotations: { ...change.annotations } },
        data: { ...change.data },
      };
      const created = await this.call(cluster, endpoint, 'create', 'create', signal, (api) =>
        api.createNamespacedConfigMap({ namespace: AWS_AUTH_NAMESPACE, body }),
      );
      this.lastRead.set(this.key(cluster), unmanagedPart(created));
      return;
    }
    // The object the write replaces: what fields the hub does not manage are taken from. Not the one
    // read last (another read came in between): read it now; if it changed, the server answers 409.
    let base = this.lastRead.get(this.key(cluster));
    if (base === undefined || base.metadata?.resourceVersion !== change.resourceVersion) {
      base = await this.call(cluster, endpoint, 'get', 'read', signal, (api) =>
        api.readNamespacedConfigMap({ name: AWS_AUTH_NAME, namespace: AWS_AUTH_NAMESPACE }),
      );
    }
    const body: V1ConfigMap = {
      ...base,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        ...(base.metadata ?? {}),
        name: AWS_AUTH_NAME,
        namespace: AWS_AUTH_NAMESPACE,
        ...(change.resourceVersion === undefined ? {} : { resourceVersion: change.resourceVersion }),
        annotations: { ...change.annotations },
      },
      data: { ...change.data },
    };
    delete body.metadata?.managedFields;
    const replaced = await this.call(cluster, endpoint, 'update', 'replace', signal, (api) =>
      api.replaceNamespacedConfigMap({ name: AWS_AUTH_NAME, namespace: AWS_AUTH_NAMESPACE, body }),
    );
    this.lastRead.set(this.key(cluster), unmanagedPart(replaced));
  }

  async verify(cluster: ClusterRef, endpoint: ClusterEndpoint, signal?: AbortSignal): Promise<void> {
    // A token made now, not the cached one: the check is whether the hub can still get in.
    this.tokens.forget(cluster);
    await this.read(cluster, endpoint, signal);
  }

  async readHistory(
    cluster: ClusterRef,
    endpoint: ClusterEndpoint,
    signal?: AbortSignal,
  ): Promise<{ entries: HistoryEntry[]; resourceVersion: string } | null> {
    try {
      const object = await this.call(
        cluster,
        endpoint,
        'get',
        'read',
        signal,
        (api) => api.readNamespacedConfigMap({ name: HISTORY_CONFIGMAP, namespace: AWS_AUTH_NAMESPACE }),
        `${AWS_AUTH_NAMESPACE}/${HISTORY_CONFIGMAP}`,
      );
      checkedSize(object, `read ${AWS_AUTH_NAMESPACE}/${HISTORY_CONFIGMAP} of ${cluster.name}`);
      return { entries: readHistory(object.data), resourceVersion: object.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (error instanceof HubError && error.code === 'kube.not-found') return null;
      throw error;
    }
  }

  async writeHistory(
    cluster: ClusterRef,
    endpoint: ClusterEndpoint,
    entries: readonly HistoryEntry[],
    resourceVersion: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const what = `${AWS_AUTH_NAMESPACE}/${HISTORY_CONFIGMAP}`;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: HISTORY_CONFIGMAP,
        namespace: AWS_AUTH_NAMESPACE,
        labels: { 'app.kubernetes.io/managed-by': 'eks-auth-hub' },
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
      data: renderHistory(entries),
    };
    if (resourceVersion === undefined) {
      await this.call(
        cluster,
        endpoint,
        'create',
        'create',
        signal,
        (api) => api.createNamespacedConfigMap({ namespace: AWS_AUTH_NAMESPACE, body }),
        what,
      );
    } else {
      await this.call(
        cluster,
        endpoint,
        'update',
        'replace',
        signal,
        (api) => api.replaceNamespacedConfigMap({ name: HISTORY_CONFIGMAP, namespace: AWS_AUTH_NAMESPACE, body }),
        what,
      );
    }
  }
}
