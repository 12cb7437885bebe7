/** The API server's 1 MiB limit, seen by the planner: what a write keeps (other keys, binaryData) counts too. */
import { describe, expect, it } from 'vitest';
import { MAX_CONFIGMAP_DATA_BYTES } from '../src/aws-auth/config-map.js';
import { parseDesiredState } from '../src/desired-state.js';
import { plan } from '../src/plan.js';
import type { ObservedAwsAuth } from '../src/world.js';

const cluster = parseDesiredState(
  `apiVersion: eks-auth-hub/v1
hub: { roleName: spoke }
clusters:
  - name: c
    account: "111122223333"
    region: eu-west-1
    mapRoles:
      - { rolearn: "arn:aws:iam::111122223333:role/admin", username: admin, groups: [system:masters] }
`,
  'hub.yaml',
).clusters[0];
if (cluster === undefined) throw new Error('no cluster');

const planWith = (observed: ObservedAwsAuth) =>
  plan({
    cluster,
    roles: { complete: true, items: [] },
    nodes: { complete: true, items: [] },
    observed,
    guard: { maxRemovalRatio: 0.5 },
    now: new Date('2026-01-01T00:00:00Z'),
  });

/** The bytes of mapRoles the plan writes for this cluster. */
const written = new TextEncoder().encode(planWith({ data: {}, annotations: {}, resourceVersion: '1' }).data?.['mapRoles'] ?? '').length;

describe('a write near 1 MiB', () => {
  it('is planned when the result fits, counting kept data keys', () => {
    const p = planWith({
      data: { mapRoles: '[]', notes: 'x'.repeat(MAX_CONFIGMAP_DATA_BYTES - written) },
      annotations: {},
      resourceVersion: '1',
    });
    expect(p.action).toBe('write');
  });

  it('is refused (render-invalid) when the result would not fit, counting binaryData decoded', () => {
    // base64 of a multiple of 3 bytes: 4 characters per 3 bytes, no padding.
    const blob = (bytes: number): string => 'A'.repeat((bytes / 3) * 4);
    const room = Math.floor((MAX_CONFIGMAP_DATA_BYTES - written) / 3) * 3;
    expect(planWith({ data: {}, annotations: {}, resourceVersion: '1', binaryData: { blob: blob(room) } }).action).toBe('write');
    const p = planWith({ data: {}, annotations: {}, resourceVersion: '1', binaryData: { blob: blob(room + 3) } });
    expect(p.action).toBe('blocked');
    expect(p.refusals).toEqual([
      {
        rule: 'render-invalid',
        message: `the written aws-auth would hold ${written + room + 3} bytes of data (mapRoles ${written}, kept keys and binaryData ${room + 3}); the API server accepts at most 1048576`,
      },
    ]);
  });
});
