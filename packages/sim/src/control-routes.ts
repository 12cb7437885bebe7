/**
 * The control API over HTTP: each `SimControl` operation as a route under `/_sim/` on the AWS
 * endpoint (POST/GET/PUT/DELETE), JSON bodies checked with zod, JSON answers, the simulator's
 * errors as their HTTP status.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimControl } from './control.js';
import type { FaultSpec } from './faults.js';
import { SimError } from './sim-error.js';
import type { ConfigMapManifestInput } from './world-schema.js';

const ref = z.strictObject({ account: z.string(), region: z.string(), cluster: z.string() });
const faultSpec = z.strictObject({
  latencyMs: z.number().min(0).optional(),
  throttleRate: z.number().min(0).max(1).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  resetRate: z.number().min(0).max(1).optional(),
  hangRate: z.number().min(0).max(1).optional(),
});

type Handler = (control: SimControl, body: unknown, query: URLSearchParams) => unknown;

const ROUTES: Record<string, Handler> = {
  'POST /_sim/permission-sets/reassign': (c, b) => {
    const { account, permissionSet } = z.strictObject({ account: z.string(), permissionSet: z.string() }).parse(b);
    return c.reassignPermissionSet(account, permissionSet);
  },
  'POST /_sim/permission-sets/assign': (c, b) => {
    const { account, permissionSet, region } = z
      .strictObject({ account: z.string(), permissionSet: z.string(), region: z.string().optional() })
      .parse(b);
    return c.assignPermissionSet(account, permissionSet, region);
  },
  'POST /_sim/permission-sets/provision': (c, b) => {
    const { account, permissionSet } = z.strictObject({ account: z.string(), permissionSet: z.string() }).parse(b);
    return c.provisionPermissionSet(account, permissionSet);
  },
  'POST /_sim/roles': (c, b) => {
    const r = z
      .strictObject({
        account: z.string(),
        name: z.string(),
        path: z.string().default('/'),
        trust: z.array(z.strictObject({ principal: z.string(), externalId: z.string().optional() })).default([]),
      })
      .parse(b);
    return c.createRole(
      r.account,
      r.name,
      r.path,
      r.trust.map((t) => ({ principal: t.principal, ...(t.externalId === undefined ? {} : { externalId: t.externalId }) })),
    );
  },
  'DELETE /_sim/roles': (c, b) => {
    const { account, name } = z.strictObject({ account: z.string(), name: z.string() }).parse(b);
    c.deleteRole(account, name);
    return {};
  },
  'POST /_sim/roles/revoke-sessions': (c, b) => {
    const { account, name } = z.strictObject({ account: z.string(), name: z.string() }).parse(b);
    return c.revokeSessions(account, name);
  },
  'POST /_sim/roles/recreate': (c, b) => {
    const { account, name } = z.strictObject({ account: z.string(), name: z.string() }).parse(b);
    return c.recreateRole(account, name);
  },
  'POST /_sim/clusters/recreate': (c, b) => {
    c.recreateCluster(ref.parse(b));
    return {};
  },
  'PUT /_sim/clusters/endpoint': (c, b) => {
    const r = ref.extend({ endpoint: z.string().nullable() }).parse(b);
    c.setClusterEndpoint(r, r.endpoint);
    return {};
  },
  'POST /_sim/nodegroups': (c, b) => {
    const r = ref.extend({ name: z.string(), nodeRole: z.string(), amiType: z.string().optional() }).parse(b);
    c.addNodegroup(r, r.name, r.nodeRole, r.amiType);
    return {};
  },
  'DELETE /_sim/nodegroups': (c, b) => {
    const r = ref.extend({ name: z.string() }).parse(b);
    c.removeNodegroup(r, r.name);
    return {};
  },
  'POST /_sim/fargate-profiles': (c, b) => {
    const r = ref.extend({ name: z.string(), podExecutionRoleArn: z.string() }).parse(b);
    c.addFargateProfile(r, r.name, r.podExecutionRoleArn);
    return {};
  },
  'DELETE /_sim/fargate-profiles': (c, b) => {
    const r = ref.extend({ name: z.string() }).parse(b);
    c.removeFargateProfile(r, r.name);
    return {};
  },
  'GET /_sim/aws-auth': (c, _b, q) =>
    c.readAwsAuth(ref.parse({ account: q.get('account'), region: q.get('region'), cluster: q.get('cluster') })),
  'PUT /_sim/aws-auth': (c, b) => {
    const r = ref
      .extend({ data: z.record(z.string(), z.string()).nullable(), annotations: z.record(z.string(), z.string()).optional() })
      .parse(b);
    return c.editAwsAuth(r, r.data, r.annotations);
  },
  'PUT /_sim/configmaps': (c, b) => {
    const r = ref.extend({ object: z.unknown() }).parse(b);
    return c.putConfigMap(r, r.object as ConfigMapManifestInput);
  },
  'POST /_sim/configmaps/pad': (c, b) => {
    const r = ref
      .extend({
        namespace: z.string(),
        name: z.string(),
        bytes: z
          .number()
          .int()
          .min(0)
          .max(512 * 1024 * 1024),
      })
      .parse(b);
    return c.padConfigMap(r, r.namespace, r.name, r.bytes);
  },
  'PUT /_sim/list-roles-page-size': (c, b) => {
    const { size } = z.strictObject({ size: z.number().int().min(1).max(10_000_000).nullable() }).parse(b);
    c.setListRolesPageSize(size);
    return {};
  },
  'GET /_sim/configmaps': (c, _b, q) => {
    const r = ref.extend({ namespace: z.string(), name: z.string() }).parse(Object.fromEntries(q));
    return c.readConfigMap(r, r.namespace, r.name);
  },
  'GET /_sim/counters': (c) => c.counters(),
  'GET /_sim/principals': (c) => c.principals(),
  'POST /_sim/counters/reset': (c) => {
    c.resetCounters();
    return {};
  },
  'GET /_sim/faults/injected': (c) => c.faultsInjected(),
  'PUT /_sim/faults': (c, b) => {
    const specs = z.record(z.string(), faultSpec).parse(b);
    for (const [operation, spec] of Object.entries(specs)) c.setFault(operation, spec as FaultSpec);
    return {};
  },
  'DELETE /_sim/faults': (c, _b, q) => {
    const seed = q.get('seed');
    c.clearFaults(seed === null ? undefined : Number(seed));
    return {};
  },
  'PUT /_sim/iam/consistency': (c, b) => {
    const { sessionPropagationMs } = z.strictObject({ sessionPropagationMs: z.number().int().min(0).max(60_000) }).parse(b);
    c.setSessionPropagation(sessionPropagationMs);
    return {};
  },
  'POST /_sim/clock': (c, b) => {
    const { advanceSeconds } = z.strictObject({ advanceSeconds: z.number() }).parse(b);
    c.advanceClock(advanceSeconds);
    return {};
  },
  'GET /_sim/clusters': (c) => c.clusters(),
};

export function handleControlRequest(
  control: SimControl,
  method: string,
  rawPath: string,
  rawQuery: string,
  body: Buffer,
  res: ServerResponse,
): void {
  const handler = ROUTES[`${method} ${rawPath}`];
  const reply = (status: number, value: unknown): void => {
    const text = JSON.stringify(value ?? null);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (handler === undefined) return reply(404, { error: 'NotFound', message: `no control route ${method} ${rawPath}` });
  try {
    const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    reply(200, handler(control, parsed, new URLSearchParams(rawQuery)));
  } catch (error) {
    if (error instanceof SimError) return reply(error.status, { error: error.code, message: error.message });
    if (error instanceof z.ZodError) return reply(400, { error: 'BadRequest', message: z.prettifyError(error) });
    if (error instanceof SyntaxError || error instanceof RangeError) return reply(400, { error: 'BadRequest', message: error.message });
    throw error;
  }
}
