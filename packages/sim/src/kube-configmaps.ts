/**
 * The ConfigMap verbs of the simulated API servers: GET, LIST, POST, PUT, PATCH (merge, strategic
 * merge, apply) and DELETE with resourceVersion concurrency and finalizers, the bodies decoded and
 * validated as the API server does (`configmap-decode.ts`, `configmap-validate.ts`).
 */
import type { ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { type ConfigMapContent, type ConfigMapObject, renderConfigMap } from './configmap.js';
import { ConfigMapDecodeError, decodeConfigMap } from './configmap-decode.js';
import {
  type FieldError,
  invalidMessage,
  managedFieldsAfterUpdate,
  validateConfigMap,
  validateConfigMapUpdate,
} from './configmap-validate.js';
import { type KubeRequest, type Route, StatusError, send, sendBody, type Verb } from './kube-http.js';
import type { World } from './world.js';
import type { Cluster } from './world-model.js';

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

/** Serves one ConfigMap verb of a routed request; returns the HTTP status answered. */
export function serveConfigMaps(
  world: World,
  r: Route,
  verb: Exclude<Verb, 'discovery'>,
  request: KubeRequest,
  res: ServerResponse,
): number {
  const namespace = r.namespace ?? '';
  const key = (name: string): string => `${namespace}/${name}`;
  const cluster = r.cluster;
  switch (verb) {
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
