/**
 * The Kubernetes API servers of the simulated clusters, behind one HTTPS listener: cluster `id` is
 * served under `/k8s/<id>` (the endpoint `DescribeCluster` returns). Bearer tokens are verified
 * offline with the authenticator's rules, then authorised from the cluster's live aws-auth.
 * ConfigMaps support GET, LIST, POST, PUT, PATCH (merge, strategic merge, apply) and DELETE with
 * resourceVersion concurrency and Kubernetes `Status` errors, validated as the API server validates
 * them (`configmap.ts`); discovery is enough for kubectl.
 */
import type { ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { authorise, type Identity, verifyToken } from './authenticator.js';
import {
  type ConfigMapContent,
  ConfigMapDecodeError,
  type ConfigMapObject,
  decodeConfigMap,
  type FieldError,
  invalidMessage,
  managedFieldsAfterUpdate,
  renderConfigMap,
  validateConfigMap,
  validateConfigMapUpdate,
} from './configmap.js';
import { type Counters, type Faults, injectFault } from './faults.js';
import { httpDate } from './http-date.js';
import type { Cluster, World } from './world.js';

export interface KubeApiContext {
  readonly world: World;
  readonly faults: Faults;
  readonly counters: Counters;
  readonly hanging: Set<ServerResponse>;
  /** host:port the listener answers on, for discovery. */
  readonly address: () => string;
}

export interface KubeRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * A Kubernetes `Status` refusal, thrown within this module and always caught by `handleKubeRequest`,
 * which answers with it. No Error: its stack would never be looked at, and capturing one costs more
 * than the rest of a 404.
 */
class StatusError {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly message: string,
    readonly details?: Record<string, unknown>,
  ) {}
}

function send(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, JSON.stringify(value));
}

function sendBody(res: ServerResponse, status: number, body: string | Buffer): void {
  // The Date header from the same clock the simulator judges signatures and tokens by (clients correct skew with it).
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache, private',
    date: httpDate(),
  });
  res.end(body);
}

/**
 * The JSON of stored ConfigMaps as a GET returns them, kept per object while its resourceVersion
 * (and deletion mark) stay as they were: a stored object is only ever replaced by a new one, or
 * marked for deletion under a new resourceVersion. Entries go with their objects.
 */
const renderedBodies = new WeakMap<
  ConfigMapObject,
  { readonly resourceVersion: string; readonly deletionTimestamp: string | undefined; readonly body: Buffer }
>();

function renderedBody(object: ConfigMapObject): Buffer {
  const cached = renderedBodies.get(object);
  if (cached !== undefined && cached.resourceVersion === object.resourceVersion && cached.deletionTimestamp === object.deletionTimestamp)
    return cached.body;
  const body = Buffer.from(JSON.stringify(render(object)));
  renderedBodies.set(object, { resourceVersion: object.resourceVersion, deletionTimestamp: object.deletionTimestamp, body });
  return body;
}

function sendConfigMap(res: ServerResponse, status: number, object: ConfigMapObject): void {
  sendBody(res, status, renderedBody(object));
}

function sendStatus(res: ServerResponse, error: StatusError): void {
  send(res, error.code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    ...(error.details === undefined ? {} : { details: error.details }),
    code: error.code,
  });
}

function notFound(name: string): StatusError {
  return new StatusError(404, 'NotFound', `configmaps "${name}" not found`, { name, kind: 'configmaps' });
}

const render = renderConfigMap;

/** 422 Invalid with the field errors as causes, as apimachinery's NewInvalid. */
function invalid(name: string, errors: readonly FieldError[]): StatusError {
  return new StatusError(422, 'Invalid', invalidMessage(name, errors), {
    name,
    kind: 'ConfigMap',
    causes: errors.map((e) => ({ reason: e.type, message: e.body, field: e.field })),
  });
}

type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'discovery';

interface Route {
  readonly cluster: Cluster;
  readonly verb: Verb;
  readonly namespace?: string;
  readonly name?: string;
  readonly discovery?: 'api' | 'apis' | 'v1' | 'version';
}

const COLLECTION_VERBS: Readonly<Record<string, Verb | undefined>> = { GET: 'list', POST: 'create' };
const OBJECT_VERBS: Readonly<Record<string, Verb | undefined>> = { GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function route(world: World, method: string, rawPath: string): Route | undefined {
  const match = /^\/k8s\/([0-9a-f]+)(\/.*)?$/.exec(rawPath);
  if (match === null) return undefined;
  const cluster = world.clustersById.get(match[1] ?? '');
  if (cluster === undefined) return undefined;
  const path = (match[2] ?? '/').replace(/\/+$/, '') || '/';
  if (method === 'GET') {
    if (path === '/version') return { cluster, verb: 'discovery', discovery: 'version' };
    if (path === '/api') return { cluster, verb: 'discovery', discovery: 'api' };
    if (path === '/apis') return { cluster, verb: 'discovery', discovery: 'apis' };
    if (path === '/api/v1') return { cluster, verb: 'discovery', discovery: 'v1' };
  }
  const cm = /^\/api\/v1\/namespaces\/([a-z0-9-]{1,63})\/configmaps(?:\/([^/]+))?$/.exec(path);
  if (cm === null) return undefined;
  const namespace = cm[1] ?? '';
  const name = cm[2] === undefined ? undefined : decodeURIComponent(cm[2]);
  const verb = (name === undefined ? COLLECTION_VERBS : OBJECT_VERBS)[method];
  if (verb === undefined) return undefined;
  return { cluster, verb, namespace, ...(name === undefined ? {} : { name }) };
}

function bearer(headers: KubeRequest['headers']): string | undefined {
  const value = headers['authorization'];
  const text = Array.isArray(value) ? value[0] : value;
  const match = text === undefined ? null : /^Bearer\s+(\S+)$/i.exec(text);
  return match?.[1];
}

export async function handleKubeRequest(ctx: KubeApiContext, request: KubeRequest, res: ServerResponse): Promise<void> {
  const r = route(ctx.world, request.method, request.rawPath);
  if (r === undefined) {
    sendStatus(res, new StatusError(404, 'NotFound', 'the server could not find the requested resource'));
    return;
  }
  const operation = `k8s:${r.verb}`;
  const fault = await injectFault(ctx.faults, ctx.counters, ctx.hanging, operation, res);
  if (fault === 'done') return;
  try {
    if (fault === 'throttle') throw new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.');
    if (fault === 'error') throw new StatusError(500, 'InternalError', 'Internal error occurred: simulated fault');
    if (r.discovery === 'version') {
      const [major = '1', minor = '31'] = r.cluster.version.split('.');
      send(res, 200, { major, minor, gitVersion: `v${major}.${minor}.0-eks`, platform: 'linux/amd64' });
      ctx.counters.record(operation, '200');
      return;
    }
    const token = bearer(request.headers);
    if (token === undefined) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    const verdict = verifyToken(token, r.cluster.name, ctx.world);
    if (!verdict.ok) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    const allowed = authorise(r.cluster, verdict.identity);
    if (allowed.status === 401) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    if (allowed.status === 403) throw forbidden(verdict.identity, r);
    const status = serve(ctx, r, request, res);
    ctx.counters.record(operation, String(status));
  } catch (error) {
    if (!(error instanceof StatusError)) throw error;
    ctx.counters.record(operation, String(error.code));
    sendStatus(res, error);
  }
}

function forbidden(identity: Identity, r: Route): StatusError {
  const what = r.name === undefined ? 'configmaps' : `configmaps "${r.name}"`;
  return new StatusError(
    403,
    'Forbidden',
    `${what} is forbidden: User "${identity.arn}" cannot ${r.verb} resource "configmaps" in API group "" in the namespace "${r.namespace ?? ''}"`,
    { ...(r.name === undefined ? {} : { name: r.name }), kind: 'configmaps' },
  );
}

function serve(ctx: KubeApiContext, r: Route, request: KubeRequest, res: ServerResponse): number {
  const world = ctx.world;
  if (r.verb === 'discovery') {
    if (r.discovery === 'api')
      send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: ctx.address() }],
      });
    else if (r.discovery === 'apis') send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    else
      send(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          {
            name: 'configmaps',
            singularName: 'configmap',
            namespaced: true,
            kind: 'ConfigMap',
            verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
            shortNames: ['cm'],
          },
        ],
      });
    return 200;
  }
  const namespace = r.namespace ?? '';
  const key = (name: string): string => `${namespace}/${name}`;
  const cluster = r.cluster;
  switch (r.verb) {
    case 'list': {
      const items = [...cluster.configMaps.values()].filter((c) => c.namespace === namespace).map(render);
      send(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(cluster.resourceVersion) }, items });
      return 200;
    }
    case 'get': {
      const object = cluster.configMaps.get(key(r.name ?? ''));
      if (object === undefined) throw notFound(r.name ?? '');
      sendConfigMap(res, 200, object);
      return 200;
    }
    case 'create': {
      const body = readObject(request);
      const name = metadataName(body);
      checkNamespace(body, namespace);
      if (cluster.configMaps.has(key(name))) {
        throw new StatusError(409, 'AlreadyExists', `configmaps "${name}" already exists`, { name, kind: 'configmaps' });
      }
      sendConfigMap(res, 201, create(world, cluster, namespace, name, body));
      return 201;
    }
    case 'update': {
      const name = r.name ?? '';
      const body = readObject(request);
      if (metadataName(body) !== name) {
        throw new StatusError(
          400,
          'BadRequest',
          `the name of the object (${metadataName(body)}) does not match the name on the URL (${name})`,
        );
      }
      checkNamespace(body, namespace);
      const existing = cluster.configMaps.get(key(name));
      if (existing === undefined) throw notFound(name);
      checkResourceVersion(body, existing, name);
      sendConfigMap(res, 200, update(world, cluster, existing, body));
      return 200;
    }
    case 'patch': {
      const name = r.name ?? '';
      const type =
        String(request.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim() ?? '';
      const existing = cluster.configMaps.get(key(name));
      let patched: Record<string, unknown>;
      if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
        if (existing === undefined) throw notFound(name);
        const patch = readObject(request);
        checkResourceVersion(patch, existing, name);
        patched = mergePatch(render(existing), patch) as Record<string, unknown>;
      } else if (type === 'application/apply-patch+yaml') {
        const query = new URLSearchParams(request.rawQuery);
        if (!query.get('fieldManager'))
          throw new StatusError(
            400,
            'BadRequest',
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          );
        const patch = readObject(request, 'yaml');
        if (existing !== undefined) checkResourceVersion(patch, existing, name);
        patched = existing === undefined ? patch : (mergePatch(render(existing), patch) as Record<string, unknown>);
      } else {
        throw new StatusError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`,
        );
      }
      if (metadataName(patched, name) !== name) throw new StatusError(400, 'BadRequest', 'metadata.name cannot be changed by a patch');
      if (existing === undefined) {
        sendConfigMap(res, 201, create(world, cluster, namespace, name, patched));
        return 201;
      }
      sendConfigMap(res, 200, update(world, cluster, existing, patched));
      return 200;
    }
    case 'delete': {
      const name = r.name ?? '';
      const existing = cluster.configMaps.get(key(name));
      if (existing === undefined) throw notFound(name);
      if (request.body.length > 0) {
        const options = readObject(request);
        const preconditions = options['preconditions'];
        const rv =
          typeof preconditions === 'object' && preconditions !== null
            ? (preconditions as Record<string, unknown>)['resourceVersion']
            : undefined;
        if (rv !== undefined && rv !== existing.resourceVersion) throw conflict(name);
      }
      if (existing.finalizers.length > 0) {
        // Finalizers hold the object: it is only marked, and goes when the last one is removed.
        if (existing.deletionTimestamp === undefined) {
          cluster.resourceVersion += 1;
          existing.resourceVersion = String(cluster.resourceVersion);
          existing.deletionTimestamp = new Date(world.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
        }
        sendConfigMap(res, 200, existing);
        return 200;
      }
      cluster.configMaps.delete(key(name));
      cluster.resourceVersion += 1;
      send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, kind: 'configmaps', uid: existing.uid },
      });
      return 200;
    }
  }
}

function conflict(name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, kind: 'configmaps' },
  );
}

function readObject(request: KubeRequest, format: 'json' | 'yaml' = 'json'): Record<string, unknown> {
  let value: unknown;
  try {
    const text = request.body.toString('utf8');
    value = format === 'json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new StatusError(
      400,
      'BadRequest',
      `the request body is not valid ${format.toUpperCase()}: ${error instanceof Error ? error.message.split('\n')[0] : ''}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new StatusError(400, 'BadRequest', 'the request body is not an object');
  return value as Record<string, unknown>;
}

function metadata(body: Record<string, unknown>): Record<string, unknown> {
  const meta = body['metadata'];
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
}

function metadataName(body: Record<string, unknown>, fallback?: string): string {
  const name = metadata(body)['name'] ?? fallback;
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new StatusError(422, 'Invalid', `ConfigMap "${String(name ?? '')}" is invalid: metadata.name: Invalid value`);
  }
  return name;
}

function checkNamespace(body: Record<string, unknown>, namespace: string): void {
  const ns = metadata(body)['namespace'];
  if (ns !== undefined && ns !== namespace) {
    throw new StatusError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
  }
}

function checkResourceVersion(body: Record<string, unknown>, existing: ConfigMapObject, name: string): void {
  const rv = metadata(body)['resourceVersion'];
  // An empty resourceVersion is no precondition (the API server reads "" as 0: unconditional).
  if (rv !== undefined && rv !== null && rv !== '' && rv !== existing.resourceVersion) throw conflict(name);
}

function decode(body: Record<string, unknown>): ConfigMapContent {
  if (body['kind'] !== undefined && body['kind'] !== 'ConfigMap')
    throw new StatusError(400, 'BadRequest', `expected kind ConfigMap, got ${String(body['kind'])}`);
  try {
    return decodeConfigMap(body);
  } catch (error) {
    if (error instanceof ConfigMapDecodeError) throw new StatusError(400, 'BadRequest', error.message);
    throw error;
  }
}

function create(world: World, cluster: Cluster, namespace: string, name: string, body: Record<string, unknown>): ConfigMapObject {
  const content = decode(body);
  const errors = validateConfigMap(content);
  if (errors.length > 0) throw invalid(name, errors);
  return world.putConfigMap(cluster, namespace, name, content);
}

function update(world: World, cluster: Cluster, existing: ConfigMapObject, body: Record<string, unknown>): ConfigMapObject {
  const content = decode(body);
  const errors = validateConfigMapUpdate(content, existing);
  if (errors.length > 0) throw invalid(existing.name, errors);
  const stored = world.putConfigMap(cluster, existing.namespace, existing.name, {
    ...content,
    managedFields: managedFieldsAfterUpdate(content.managedFields, existing.managedFields),
  });
  // A deletion that waited for finalizers completes when the last one goes.
  if (stored.deletionTimestamp !== undefined && stored.finalizers.length === 0)
    cluster.configMaps.delete(`${stored.namespace}/${stored.name}`);
  return stored;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
