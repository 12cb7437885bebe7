/**
 * Every call ends: the adapters against the simulator's hang faults over real sockets. A request
 * that gets no answer fails its attempt at the request timeout (the handler's throwOnRequestTimeout),
 * the call ends after its attempts with `aws.timeout` (never an empty listing), and the pass's signal
 * ends a call in flight at once, on the AWS side and on the Kubernetes side.
 */
import { type ClusterRef, HubError } from '@eks-auth-hub/core';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsPorts } from '../src/ports.js';
import { callDeadline, callDeadlineMs } from '../src/sdk-options.js';
import { rejection } from './rejection.js';

const hub = { roleName: 'eks-auth-hub-spoke', externalId: 'example-external-id', sessionName: 'eks-auth-hub' };
const prod: ClusterRef = { account: '111122223333', region: 'eu-west-1', name: 'payments-prod', partition: 'aws' };

const h = useSimulator();
afterEach(() => h.sim.control.clearFaults());

const hangs = (operation: string): number => h.sim.control.counters()[operation]?.outcomes['hang'] ?? 0;

/** Resolves once the simulator holds `n` unanswered requests of `operation`. */
async function hanging(operation: string, n = 1): Promise<void> {
  while (hangs(operation) < n) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('an AWS call that gets no answer', () => {
  it.each([
    ['sts:AssumeRole', (p: ReturnType<typeof createAwsPorts>) => p.sessions.open(prod.account, 'aws')],
    ['iam:ListRoles', (p: ReturnType<typeof createAwsPorts>) => p.roles.listSsoRoles(prod.account, 'aws')],
    ['eks:DescribeCluster', (p: ReturnType<typeof createAwsPorts>) => p.clusters.describe(prod)],
  ])(
    '%s fails with aws.timeout after its attempts, each ended by the request timeout',
    async (operation, call) => {
      const p = createAwsPorts({ hub, maxAttempts: 2, requestTimeoutMs: 1_000 });
      // The session first (unless that is what hangs), so only `operation` meets the fault.
      if (operation !== 'sts:AssumeRole') await p.sessions.open(prod.account, 'aws');
      h.sim.control.setFault(operation, { hangRate: 1 });
      const error = await rejection(call(p));
      expect(error).toMatchObject({ kind: 'transient', code: 'aws.timeout' });
      // Both attempts were made and both hung: the request timeout ended each, as an error.
      expect(hangs(operation)).toBe(2);
    },
    15_000,
  );

  it('bounds a call across its attempts: attempts × timeout plus the backoff between them', () => {
    expect(callDeadlineMs({ maxAttempts: 3, requestTimeoutMs: 2_000 })).toBeLessThan(3 * 2_000 + 5_000);
    expect(callDeadlineMs({})).toBeLessThan(3 * 15_000 + 5_000);
  });

  it("a call's signal follows the pass's, and lets go of it once the call is over", () => {
    const pass = new AbortController();
    const first = callDeadline({}, pass.signal);
    first.done();
    const second = callDeadline({}, pass.signal);
    pass.abort(new HubError('transient', 'pass.timeout', 'the pass reached its deadline'));
    expect(second.signal.aborted).toBe(true);
    expect(second.signal.reason).toMatchObject({ code: 'pass.timeout' });
    // Released before the pass ended: not aborted by it.
    expect(first.signal.aborted).toBe(false);
    second.done();
    expect(callDeadline({}, pass.signal).signal.aborted).toBe(true);
  });
});

describe("the pass's signal", () => {
  it('ends an AWS call in flight at once, whatever its request timeout', async () => {
    const p = createAwsPorts({ hub, maxAttempts: 3, requestTimeoutMs: 120_000 });
    h.sim.control.setFault('sts:AssumeRole', { hangRate: 1 });
    const pass = new AbortController();
    const before = hangs('sts:AssumeRole');
    const call = rejection(p.sessions.open('444455556666', 'aws', pass.signal));
    await hanging('sts:AssumeRole', before + 1);
    pass.abort(new HubError('transient', 'pass.timeout', 'the pass reached its deadline'));
    const error = await call;
    expect(error.kind).toBe('transient');
    // Not tried again once the pass is over.
    expect(hangs('sts:AssumeRole')).toBe(before + 1);
  }, 15_000);

  it.each([
    ['k8s:get', 'read' as const],
    ['k8s:update', 'writeHistory' as const],
  ])(
    'ends a Kubernetes request in flight (%s) at once, whatever its request timeout',
    async (operation, method) => {
      const p = createAwsPorts({ hub, maxAttempts: 3, requestTimeoutMs: 120_000 });
      const endpoint = await p.clusters.describe(prod);
      const history = method === 'writeHistory' ? await p.awsAuth.readHistory(prod, endpoint) : null;
      h.sim.control.setFault(operation, { hangRate: 1 });
      const pass = new AbortController();
      const before = hangs(operation);
      const call = rejection(
        method === 'read'
          ? p.awsAuth.read(prod, endpoint, pass.signal)
          : p.awsAuth.writeHistory(prod, endpoint, history?.entries ?? [], history?.resourceVersion ?? '1', pass.signal),
      );
      await hanging(operation, before + 1);
      pass.abort(new HubError('transient', 'pass.timeout', 'the pass reached its deadline'));
      expect(await call).toMatchObject({ kind: 'transient', code: 'kube.timeout' });
      expect(hangs(operation)).toBe(before + 1);
    },
    15_000,
  );
});
