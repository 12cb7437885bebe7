/**
 * `run` while the spoke role changes under it, driven through the simulator's control API over HTTP:
 * the roles' sessions revoked mid-run cost one AssumeRole per account and no failed cluster (counted
 * in `eks_auth_hub_session_refreshes_total`); the platform spoke role deleted fails exactly that
 * account's cluster in the next pass with `sts.role-unavailable`; created again, it heals in the next
 * pass. The hub is built as `run` builds it (its default session backoff included).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type RunningHub, startHub } from '../../src/run.js';
import type { PassSummary } from '../../src/status.js';
import {
  ANALYTICS,
  demoState,
  explain,
  memoryLogger,
  outcomes,
  PAYMENTS,
  PLATFORM,
  SPOKE_ROLE,
  sampleValue,
  scrape,
  simCount,
  useSimulator,
  waitFor,
} from './helpers.js';

const h = useSimulator();
const state = demoState();
const reports: PassSummary[] = [];
let hub: RunningHub | undefined;

afterAll(async () => {
  await hub?.stop(2_000);
});

/** A control call over HTTP, as an operator's script would make it. */
async function control(method: string, path: string, body: unknown): Promise<void> {
  const answer = await fetch(`${h.sim.awsEndpoint}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(answer.status, `${method} /_sim/${path}: ${await answer.clone().text()}`).toBe(200);
}

/** The first pass that started after `at` (epoch ms), once it has finished. */
async function passStartedAfter(at: number): Promise<PassSummary> {
  return waitFor('a pass started after the change', () => reports.find((r) => Date.parse(r.startedAt) > at), 20_000);
}

const failedOutside = (r: PassSummary, account?: string): string[] =>
  r.clusters.filter((c) => c.outcome === 'failed' && c.account !== account).map((c) => c.name);

describe('run, with the spoke roles changing under it', { timeout: 60_000 }, () => {
  it('sessions revoked mid-run: the next pass assumes each role again and no cluster fails', async () => {
    hub = await startHub({ state, listen: { host: '127.0.0.1', port: 0 }, logger: memoryLogger().logger, intervalMs: 50 });
    const record = hub.metrics.recordPass.bind(hub.metrics);
    vi.spyOn(hub.metrics, 'recordPass').mockImplementation((report) => {
      reports.push(report);
      record(report);
    });
    await waitFor('two passes', () => reports.length >= 2, 20_000);
    const deniedBefore = simCount(h.sim, 'iam:ListRoles', 'AccessDenied') + simCount(h.sim, 'eks:ListNodegroups', 'AccessDeniedException');
    for (const account of [PAYMENTS, ANALYTICS, PLATFORM]) await control('POST', 'roles/revoke-sessions', { account, name: SPOKE_ROLE });
    const revokedAt = Date.now();
    const next = await passStartedAfter(revokedAt);
    expect(outcomes(next), explain(next)).toEqual(Object.fromEntries(state.clusters.map((c) => [c.name, 'unchanged'])));
    // No pass of the run failed a cluster, the one in flight at the revocation included.
    for (const r of reports) expect(r.counts.failed, `${r.passId}: ${explain(r)}`).toBe(0);
    // The kept sessions were refused on the wire, and replaced once per account.
    expect(
      simCount(h.sim, 'iam:ListRoles', 'AccessDenied') + simCount(h.sim, 'eks:ListNodegroups', 'AccessDeniedException'),
    ).toBeGreaterThan(deniedBefore);
    const { exposition } = await scrape(hub.url);
    expect(sampleValue(exposition, 'eks_auth_hub_session_refreshes_total', { reason: 'access-denied' })).toBe(3);
    expect(sampleValue(exposition, 'eks_auth_hub_session_refreshes_total', { reason: 'cluster-unauthorized' })).toBe(0);
    expect(sampleValue(exposition, 'eks_auth_hub_cluster_results_total', { outcome: 'failed' })).toBe(0);
  });

  it('the platform spoke role deleted: its cluster fails in the next pass with sts.role-unavailable, the others are untouched', async () => {
    const deletedAt = Date.now();
    await control('DELETE', 'roles', { account: PLATFORM, name: SPOKE_ROLE });
    const next = await passStartedAfter(deletedAt);
    expect(outcomes(next), explain(next)).toEqual({
      ...Object.fromEntries(state.clusters.map((c) => [c.name, 'unchanged'])),
      'platform-tools': 'failed',
    });
    const failed = next.clusters.find((c) => c.name === 'platform-tools');
    expect(failed?.error?.code).toBe('sts.role-unavailable');
    expect(failed?.error?.message).toContain(`arn:aws:iam::${PLATFORM}:role/${SPOKE_ROLE}`);
    expect(failed?.error?.message).toContain("the role does not exist, or its trust policy does not let the hub's principal assume it");
    for (const r of reports) expect(failedOutside(r, PLATFORM), r.passId).toEqual([]);
  });

  it('the role created again: healed in the next pass', async () => {
    const createdAt = Date.now();
    await control('POST', 'roles', {
      account: PLATFORM,
      name: SPOKE_ROLE,
      trust: [{ principal: h.sim.world.hub.arn, externalId: 'example-external-id' }],
    });
    const next = await passStartedAfter(createdAt);
    expect(next.counts.failed, explain(next)).toBe(0);
    expect(outcomes(next)['platform-tools']).toBe('unchanged');
  });
});
