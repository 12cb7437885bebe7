/**
 * Answers have limits, on the wire: a ConfigMap no API server would serve (the simulator's control
 * API pads aws-auth past 1 MiB), a Kubernetes answer that never ends, an IAM ListRoles page with more
 * roles than IAM ever returns, and an AWS answer that never ends. Each fails only its cluster or
 * account with its own code, and the endless answers are torn down at the cap: the servers see the
 * connection closed after a few megabytes, not after whatever they had to send.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type AwsPorts, MAX_AWS_ANSWER_BYTES, MAX_KUBE_ANSWER_BYTES } from '@eks-auth-hub/aws';
import { makeCertificates } from '@eks-auth-hub/sim';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2ePorts, explain, pass, redirect, refOf, resultOf, useDemoWorld } from './helpers.js';

const { h, state, names } = useDemoWorld();

beforeAll(async () => {
  // Every cluster gets its aws-auth first, so there is one to pad.
  const first = await pass(state);
  expect(first.counts.failed + first.counts.blocked, explain(first)).toBe(0);
});

/** Every cluster's outcome is fine but those of `failed`, which failed with `code`. */
function onlyThese(report: Awaited<ReturnType<typeof pass>>, failed: readonly string[], code: string): void {
  for (const name of names) {
    const result = resultOf(report, name);
    if (failed.includes(name)) expect(result, explain(report)).toMatchObject({ outcome: 'failed', error: { code } });
    else expect(['applied', 'unchanged'], `${name}: ${explain(report)}`).toContain(result.outcome);
  }
}

/**
 * The clusters of accounts whose role listing failed are held back (blocked, `incomplete-listing`,
 * naming the listing's error code: a failed listing is never an empty one); the others are fine.
 */
function listingFailed(report: Awaited<ReturnType<typeof pass>>, accounts: readonly string[], code: string): void {
  for (const cluster of report.clusters) {
    if (accounts.includes(cluster.account)) {
      expect(cluster.outcome, explain(report)).toBe('blocked');
      expect(cluster.refusals.map((r) => r.rule)).toEqual(['incomplete-listing']);
      expect(cluster.refusals[0]?.message).toContain(`failed: ${code}: `);
    } else {
      expect(['applied', 'unchanged'], `${cluster.name}: ${explain(report)}`).toContain(cluster.outcome);
    }
  }
}

/** A server that answers every request with 200 and a body that never ends; counts what it wrote. */
interface Endless {
  readonly url: string;
  readonly written: number;
  readonly closedEarly: number;
  close(): Promise<void>;
}

async function endless(
  kind: 'http' | 'https',
  contentType: string,
  head: string,
  unit: string,
  tls?: { key: string; cert: string },
): Promise<Endless> {
  let written = 0;
  let closedEarly = 0;
  const handler = (_req: unknown, res: import('node:http').ServerResponse): void => {
    res.writeHead(200, { 'content-type': contentType });
    res.write(head);
    const chunk = unit.repeat(Math.ceil((64 * 1024) / unit.length));
    let open = true;
    res.on('close', () => {
      open = false;
      closedEarly += 1;
    });
    const pump = (): void => {
      while (open && written < 512 * 1024 * 1024) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  };
  const server: HttpServer =
    kind === 'https' && tls !== undefined ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${kind}://127.0.0.1:${port}`,
    get written() {
      return written;
    },
    get closedEarly() {
      return closedEarly;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Resolves once the server has seen its connection closed (the hub hung up), or fails after 5 s. */
async function hungUp(server: Endless): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (server.closedEarly === 0) {
    if (Date.now() > deadline) throw new Error('the hub never hung up');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Kubernetes answers', () => {
  const analytics = (): ReturnType<typeof refOf> => refOf(state, 'analytics');
  let original: Record<string, string> = {};
  beforeAll(() => {
    original = { ...(h.sim.control.readAwsAuth(analytics())?.data ?? {}) };
  });
  /** Puts analytics' aws-auth back as it was before it was padded. */
  const unpad = (): void => void h.sim.control.editAwsAuth(analytics(), original);

  it('an aws-auth over 1 MiB (no API server serves one) fails that cluster with kube.configmap-too-large, and nothing is written', async () => {
    const ref = refOf(state, 'analytics');
    const padded = h.sim.control.padConfigMap(ref, 'kube-system', 'aws-auth', 2 * 1024 * 1024);
    expect(padded.dataBytes).toBeGreaterThan(2 * 1024 * 1024);
    const before = h.sim.control.readAwsAuth(ref)?.resourceVersion;
    const report = await pass(state);
    onlyThese(report, ['analytics'], 'kube.configmap-too-large');
    expect(resultOf(report, 'analytics').error?.message).toMatch(
      /holds \d+ bytes of data; an API server never serves a ConfigMap over 1048576 bytes/,
    );
    expect(h.sim.control.readAwsAuth(ref)?.resourceVersion).toBe(before);
    unpad();
  });

  it('an answer over the cap fails that cluster with kube.answer-too-large', async () => {
    const ref = refOf(state, 'analytics');
    h.sim.control.padConfigMap(ref, 'kube-system', 'aws-auth', 24 * 1024 * 1024);
    const report = await pass(state);
    onlyThese(report, ['analytics'], 'kube.answer-too-large');
    expect(resultOf(report, 'analytics').error?.message).toContain(
      `the hub reads at most ${MAX_KUBE_ANSWER_BYTES} bytes of a Kubernetes answer`,
    );
    unpad();
  });

  it('an answer that never ends is torn down at the cap, not read to its end', async () => {
    const certificates = await makeCertificates();
    const server = await endless(
      'https',
      'application/json',
      '{"kind":"ConfigMap","apiVersion":"v1","data":{"mapRoles":"',
      'x',
      certificates,
    );
    try {
      const ports = redirect(e2ePorts(state), 'ml-training', (endpoint) => ({
        ...endpoint,
        endpoint: `${server.url}/k8s/endless`,
        caPem: certificates.caPem,
      }));
      const report = await pass(state, { ports: ports as AwsPorts });
      onlyThese(report, ['ml-training'], 'kube.answer-too-large');
      await hungUp(server);
      // The cap, plus what was in flight in socket buffers when the hub hung up.
      expect(server.written).toBeLessThan(MAX_KUBE_ANSWER_BYTES + 8 * 1024 * 1024);
    } finally {
      await server.close();
    }
  });
});

describe('AWS answers', () => {
  it('a ListRoles page with more roles than IAM ever returns fails that account with aws.page-too-large', async () => {
    const platform = refOf(state, 'platform-tools');
    for (let i = 0; i < 1_001; i++) h.sim.control.assignPermissionSet(platform.account, `Extra${i}`);
    h.sim.control.setListRolesPageSize(5_000);
    try {
      const report = await pass(state);
      listingFailed(report, [platform.account], 'aws.page-too-large');
      expect(resultOf(report, 'platform-tools').refusals[0]?.message).toMatch(
        /iam:ListRoles in 555566667777 \(page 1\): 100\d roles in one page; IAM returns at most 1000/,
      );
    } finally {
      h.sim.control.setListRolesPageSize(null);
    }
  });

  it('an AWS answer that never ends fails its account with aws.answer-too-large, torn down at the cap', async () => {
    const server = await endless(
      'http',
      'text/xml',
      '<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult><Roles>',
      '<member><RoleName>x</RoleName></member>',
    );
    const saved = process.env['AWS_ENDPOINT_URL_IAM'];
    try {
      process.env['AWS_ENDPOINT_URL_IAM'] = server.url;
      const ports = e2ePorts(state);
      const report = await pass(state, { ports });
      listingFailed(report, [...new Set(state.clusters.map((c) => c.account))], 'aws.answer-too-large');
      expect(report.clusters[0]?.refusals[0]?.message).toContain(`the hub reads at most ${MAX_AWS_ANSWER_BYTES} bytes of an AWS answer`);
      await hungUp(server);
      // One listing per account (three), each cut at the cap plus what was in flight.
      expect(server.written).toBeLessThan(3 * (MAX_AWS_ANSWER_BYTES + 8 * 1024 * 1024));
    } finally {
      if (saved === undefined) delete process.env['AWS_ENDPOINT_URL_IAM'];
      else process.env['AWS_ENDPOINT_URL_IAM'] = saved;
      await server.close();
    }
  }, 60_000);
});
