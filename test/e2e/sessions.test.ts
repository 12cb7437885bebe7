/**
 * A long-lived hub's sessions when the spoke role changes under them, on the wire: the simulator
 * evaluates every call's session as IAM does, the hub keeps one set of ports across passes (as `run`
 * and a warm Lambda do). Revoked sessions and a role created again cost one AssumeRole and no
 * failed cluster; a deleted role fails exactly its account's clusters with `sts.role-unavailable`,
 * pass after pass without looping, until the role exists again.
 */

import { createAwsPorts, type RequestObserver } from '@eks-auth-hub/aws';
import { type PassReport, reconcile } from '@eks-auth-hub/core';
import { describe, expect, it } from 'vitest';
import { explain, outcomes, refOf, snapshot, useDemoWorld } from './helpers.js';

const PAYMENTS = '111122223333';
const PLATFORM = '555566667777';
const SPOKE = 'eks-auth-hub-spoke';
const ACCOUNTS = [PAYMENTS, '444455556666', PLATFORM];

const { h, state } = useDemoWorld();
const refreshed: string[] = [];
const observer: RequestObserver = { aws: () => undefined, kube: () => undefined, sessionRefresh: (reason) => refreshed.push(reason) };
const ports = createAwsPorts({
  hub: state.hub,
  maxAttempts: 1,
  requestTimeoutMs: 5_000,
  connectionTimeoutMs: 3_000,
  observer,
  sessionRefreshBackoffMs: 50,
});
let n = 0;
const run = (): Promise<PassReport> => reconcile(state, ports, { passId: `sessions-${++n}`, dryRun: false });

/** How many times the simulator answered `operation` with `outcome` since the last reset. */
function answered(operation: string, outcome: string): number {
  return h.sim.control.counters()[operation]?.outcomes[outcome] ?? 0;
}

const allUnchanged = Object.fromEntries(state.clusters.map((c) => [c.name, 'unchanged']));

describe('sessions that stop working under a long-lived hub', () => {
  it('starts from a converged fleet', async () => {
    const first = await run();
    expect(first.counts.failed, explain(first)).toBe(0);
    expect(outcomes(await run())).toEqual(allUnchanged);
    expect(refreshed).toEqual([]);
  });

  it('sessions revoked between passes: the next pass assumes each role again once and fails no cluster', async () => {
    for (const account of ACCOUNTS) h.sim.control.revokeSessions(account, SPOKE);
    h.sim.control.resetCounters();
    const report = await run();
    expect(outcomes(report), explain(report)).toEqual(allUnchanged);
    // The kept sessions were really refused, once per account, and replaced.
    expect(answered('iam:ListRoles', 'AccessDenied')).toBe(ACCOUNTS.length);
    expect(answered('sts:AssumeRole', 'ok')).toBe(ACCOUNTS.length);
    expect(refreshed).toEqual(ACCOUNTS.map(() => 'access-denied'));

    h.sim.control.resetCounters();
    expect(outcomes(await run())).toEqual(allUnchanged);
    expect(answered('sts:AssumeRole', 'ok')).toBe(0);
    expect(refreshed).toHaveLength(ACCOUNTS.length);
  });

  it('sessions revoked in the middle of a pass: no cluster fails', async () => {
    h.sim.control.setFault('k8s:get', { latencyMs: 300 });
    const before = refreshed.length;
    try {
      h.sim.control.resetCounters();
      const pass = run();
      // Every account is entered and its clusters are reading aws-auth: revoke now.
      const started = Date.now();
      while ((h.sim.control.counters()['k8s:get']?.calls ?? 0) < state.clusters.length && Date.now() - started < 5_000)
        await new Promise((r) => setTimeout(r, 5));
      for (const account of ACCOUNTS) h.sim.control.revokeSessions(account, SPOKE);
      const report = await pass;
      expect(outcomes(report), explain(report)).toEqual(allUnchanged);
      // Node listings came after the revocation: refused, renewed, made again.
      expect(answered('eks:ListNodegroups', 'AccessDeniedException')).toBeGreaterThanOrEqual(1);
      expect(refreshed.length - before).toBeGreaterThanOrEqual(1);
    } finally {
      h.sim.control.clearFaults();
    }
    // An account whose calls were all made before the revocation renews its session in the next pass:
    // each account exactly once over the two.
    const next = await run();
    expect(outcomes(next), explain(next)).toEqual(allUnchanged);
    expect(refreshed.length).toBe(2 * ACCOUNTS.length);
  });

  it('the spoke role created again under the same name (another role id): healed in the same pass', async () => {
    const before = refreshed.length;
    h.sim.control.recreateRole(PLATFORM, SPOKE);
    const report = await run();
    expect(outcomes(report), explain(report)).toEqual(allUnchanged);
    expect(refreshed.length - before).toBe(1);
  });

  it('the spoke role deleted: exactly its account fails, with sts.role-unavailable naming the role, and nothing there is touched', async () => {
    h.sim.control.deleteRole(PLATFORM, SPOKE);
    const live = snapshot(h.sim);
    h.sim.control.resetCounters();
    const report = await run();
    expect(outcomes(report), explain(report)).toEqual({ ...allUnchanged, 'platform-tools': 'failed' });
    const failed = report.clusters.find((c) => c.name === 'platform-tools');
    expect(failed?.error?.code).toBe('sts.role-unavailable');
    expect(failed?.error?.message).toContain(`sts:AssumeRole arn:aws:iam::${PLATFORM}:role/${SPOKE}: AccessDenied`);
    expect(failed?.error?.message).toMatch(
      /the role does not exist, or its trust policy does not let the hub's principal assume it with the configured ExternalId/,
    );
    expect(failed?.error?.message).toMatch(
      /the hub cannot enter account 555566667777: .*; the session the hub held there was refused just before \(access-denied\)/,
    );
    // One refusal of the kept session, one AssumeRole refused: no loop.
    expect(answered('iam:ListRoles', 'AccessDenied')).toBe(1);
    expect(answered('sts:AssumeRole', 'AccessDenied')).toBe(1);
    expect(h.sim.control.counters()['eks:DescribeCluster']).toBeUndefined();
    expect(snapshot(h.sim)).toEqual(live);
  });

  it('while the role is missing, each pass fails that account once more with the same code (one AssumeRole per pass)', async () => {
    h.sim.control.resetCounters();
    const report = await run();
    expect(outcomes(report), explain(report)).toEqual({ ...allUnchanged, 'platform-tools': 'failed' });
    expect(report.clusters.find((c) => c.name === 'platform-tools')?.error?.code).toBe('sts.role-unavailable');
    expect(answered('sts:AssumeRole', 'AccessDenied')).toBe(1);
    expect(answered('sts:AssumeRole', 'ok')).toBe(0);
  });

  it('the role created again with its trust: healed in the next pass', async () => {
    h.sim.control.createRole(PLATFORM, SPOKE, '/', [{ principal: h.sim.world.hub.arn, externalId: 'example-external-id' }]);
    const report = await run();
    expect(outcomes(report), explain(report)).toEqual(allUnchanged);
  });

  it('a cluster answering 401 to a token from a kept session renews the session once and reads again', async () => {
    const prod = refOf(state, 'payments-prod');
    const ref = { account: prod.account, region: prod.region, name: prod.cluster, partition: 'aws' as const };
    const endpoint = await ports.clusters.describe(ref);
    await ports.sessions.open(PAYMENTS, 'aws'); // a new pass in this account: the session is a kept one
    const kept = await ports.sessions.credentials(PAYMENTS, 'aws');
    // STS no longer knows that session: its token is refused (401) wherever it is shown.
    h.sim.world.credentials.delete(kept.accessKeyId);
    const before = refreshed.length;
    const read = await ports.awsAuth.read(ref, endpoint);
    expect(read?.data['mapRoles']).toContain(SPOKE);
    expect(refreshed.slice(before)).toEqual(['cluster-unauthorized']);
    expect((await ports.sessions.credentials(PAYMENTS, 'aws')).accessKeyId).not.toBe(kept.accessKeyId);
  });
});

describe('a brand-new session refused for a moment (IAM is eventually consistent)', () => {
  const fresh = (backoffMs?: number): { ports: ReturnType<typeof createAwsPorts>; reasons: string[] } => {
    const reasons: string[] = [];
    const watching: RequestObserver = { aws: () => undefined, kube: () => undefined, sessionRefresh: (reason) => reasons.push(reason) };
    const made = createAwsPorts({
      hub: state.hub,
      maxAttempts: 1,
      requestTimeoutMs: 5_000,
      connectionTimeoutMs: 3_000,
      observer: watching,
      ...(backoffMs === undefined ? {} : { sessionRefreshBackoffMs: backoffMs }),
    });
    return { ports: made, reasons };
  };

  it('without the backoff, the renewed session is refused as well: the listings fail and nothing is written', async () => {
    h.sim.control.setSessionPropagation(600);
    try {
      const { ports: hurried, reasons } = fresh(0);
      const report = await reconcile(state, hurried, { passId: 'consistency-hurried', dryRun: false });
      expect(new Set(report.clusters.map((c) => c.outcome)), explain(report)).toEqual(new Set(['blocked']));
      expect(reasons).toEqual(ACCOUNTS.map(() => 'invalid-token'));
    } finally {
      h.sim.control.setSessionPropagation(0);
    }
  });

  it('with the default backoff (2 s) the renewed session is known when the call is made again: no cluster fails', async () => {
    h.sim.control.setSessionPropagation(600);
    try {
      const { ports: patient, reasons } = fresh();
      const report = await reconcile(state, patient, { passId: 'consistency-patient', dryRun: false });
      expect(outcomes(report), explain(report)).toEqual(allUnchanged);
      expect(reasons).toEqual(ACCOUNTS.map(() => 'invalid-token'));
    } finally {
      h.sim.control.setSessionPropagation(0);
    }
  });
});
