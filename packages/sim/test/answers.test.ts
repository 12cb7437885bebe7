/**
 * Answers the simulator writes once and sends again (a stored ConfigMap's JSON, a role's ListRoles
 * entry, the Date header of a second): always what writing them afresh gives, through every kind of
 * change, byte for byte on the wire.
 */
import { request } from 'node:https';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimClusterRef } from '../src/control.js';
import { httpDate } from '../src/http-date.js';
import { assumeSpoke, type Creds, clusterToken, demoWorld, iam } from './helpers.js';
import { clusterEndpoint } from './wire.js';

const PAYMENTS = '111122223333';
const STAGING: SimClusterRef = { account: PAYMENTS, region: 'eu-west-1', cluster: 'payments-staging' };
const NS = 'default';

const h = useSimulator(demoWorld, { env: false });
let spoke: Creds;
let endpoint: string;
let token: string;

beforeAll(async () => {
  spoke = await assumeSpoke(h.sim, PAYMENTS);
  endpoint = await clusterEndpoint(h.sim, spoke, 'eu-west-1', 'payments-staging');
  token = await clusterToken(spoke, 'payments-staging');
});

/** One raw request to the cluster's API server: status, body text and headers. */
function kube(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; text: string; date: string | undefined }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${endpoint}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        ca: h.sim.caPem,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), date: res.headers.date }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('ConfigMap answers', () => {
  it('a GET answers exactly what rendering the stored object afresh gives, after any sequence of writes', async () => {
    const names = ['one', 'two'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), name: fc.constantFrom(...names) }),
      fc.record({
        kind: fc.constant('put' as const),
        name: fc.constantFrom(...names),
        value: fc.string({ maxLength: 8 }),
        finalizers: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('patch' as const), name: fc.constantFrom(...names), value: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom(...names) }),
      fc.record({ kind: fc.constant('hand' as const), name: fc.constantFrom(...names), value: fc.string({ maxLength: 8 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        for (const o of ops) {
          const path = `/api/v1/namespaces/${NS}/configmaps/${o.name}`;
          const live = h.sim.control.readConfigMap(STAGING, NS, o.name);
          if (o.kind === 'put') {
            const body = {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: o.name, namespace: NS, ...(o.finalizers ? { finalizers: ['example.com/hold'] } : {}) },
              data: { v: o.value },
            };
            if (live === null) await kube('POST', `/api/v1/namespaces/${NS}/configmaps`, body);
            else await kube('PUT', path, body);
          } else if (o.kind === 'patch') {
            await kube('PATCH', path, { data: { v: o.value } }, 'application/merge-patch+json');
          } else if (o.kind === 'delete') {
            await kube('DELETE', path);
          } else if (o.kind === 'hand') {
            h.sim.control.putConfigMap(STAGING, { metadata: { name: o.name, namespace: NS }, data: { hand: o.value } });
          }
          const got = await kube('GET', path);
          const fresh = h.sim.control.readConfigMap(STAGING, NS, o.name);
          if (fresh === null) expect(got.status).toBe(404);
          else {
            expect(got.status).toBe(200);
            expect(got.text).toBe(JSON.stringify(fresh));
          }
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('ListRoles answers', () => {
  it('list each role as written afresh, through roles created, deleted and created again', async () => {
    const client = iam(h.sim, spoke);
    const list = async (): Promise<string[]> =>
      ((await client.send(new ListRolesCommand({ PathPrefix: '/answers/' }))).Roles ?? []).map(
        (r) => `${r.RoleName} ${r.Arn} ${r.RoleId} ${r.Path}`,
      );
    expect(await list()).toEqual([]);
    h.sim.control.createRole(PAYMENTS, 'answers-a', '/answers/');
    h.sim.control.createRole(PAYMENTS, 'answers-b', '/answers/x/');
    const first = await list();
    expect(first.map((r) => r.split(' ')[0])).toEqual(['answers-a', 'answers-b']);
    expect(await list()).toEqual(first);
    h.sim.control.deleteRole(PAYMENTS, 'answers-a');
    h.sim.control.createRole(PAYMENTS, 'answers-a', '/answers/other/');
    const second = await list();
    expect(second.map((r) => r.split(' ')[0])).toEqual(['answers-b', 'answers-a']);
    expect(second[1]).toContain('/answers/other/');
    expect(second[1]).not.toBe(first[0]);
  });
});

describe('Date header', () => {
  it('is the real clock at the second, as toUTCString writes it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: -1500, max: 1500 }), (now, step) => {
        expect(httpDate(now)).toBe(new Date(now).toUTCString());
        expect(httpDate(now + step)).toBe(new Date(now + step).toUTCString());
      }),
      { numRuns: 2000 },
    );
  });

  it('is on the API server’s answers', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const got = await kube('GET', `/api/v1/namespaces/${NS}/configmaps/absent`);
    expect(got.status).toBe(404);
    const date = Date.parse(got.date ?? '');
    expect(date).toBeGreaterThanOrEqual(before);
    expect(date).toBeLessThanOrEqual(Date.now());
  });
});
