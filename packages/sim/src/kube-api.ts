/**
 * The Kubernetes API servers of the simulated clusters, behind one HTTPS listener: cluster `id` is
 * served under `/k8s/<id>` (the endpoint `DescribeCluster` returns). Bearer tokens are verified
 * offline with the authenticator's rules, then authorised from the cluster's live aws-auth.
 * ConfigMaps support GET, LIST, POST, PUT, PATCH (merge, strategic merge, apply) and DELETE with
 * resourceVersion concurrency and Kubernetes `Status` errors, validated as the API server validates
 * them (`kube-configmaps.ts`); discovery is enough for kubectl. This file routes,
 * authenticates and authorises, and answers discovery.
 */
import type { ServerResponse } from 'node:http';
import { type Identity, verifyToken } from './authenticator.js';
import { authorise } from './aws-auth-reader.js';
import { injectFault } from './faults.js';
import { serveConfigMaps } from './kube-configmaps.js';
import { type KubeApiContext, type KubeRequest, type Route, StatusError, send, sendStatus, type Verb } from './kube-http.js';
import type { World } from './world.js';

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
  return serveConfigMaps(ctx.world, r, r.verb, request, res);
}
