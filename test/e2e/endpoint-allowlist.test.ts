/**
 * Where the cluster token goes, on the wire: DescribeCluster (the simulator, through its control API)
 * names an API server that is not an EKS host, and a listening socket there records whatever arrives.
 * The hub must fail that cluster with `eks.endpoint_not_allowed` and send it nothing: no connection,
 * so certainly no token. The simulator's own host is allowed only through the setting it prints.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { ALLOWED_ENDPOINT_HOSTS_ENV, createAwsPorts } from '@eks-auth-hub/aws';
import { isHubError } from '@eks-auth-hub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePorts, explain, outcomes, pass, refOf, resultOf, useDemoWorld } from './helpers.js';

const { h, state } = useDemoWorld();

/** A TCP listener on another loopback address that counts connections and bytes. */
interface Recorder {
  readonly url: string;
  readonly connections: number;
  readonly bytes: number;
  close(): Promise<void>;
}

async function recorder(): Promise<Recorder> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.2', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.2:${port}/k8s/elsewhere`,
    get connections() {
      return connections;
    },
    get bytes() {
      return bytes;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let elsewhere: Recorder;
beforeAll(async () => {
  elsewhere = await recorder();
});
afterAll(async () => {
  await elsewhere.close();
});

describe('the cluster token goes only to allowed API server hosts', () => {
  it('the simulator prints the setting that allows its own host, and nothing else is allowed', () => {
    expect(h.sim.env()[ALLOWED_ENDPOINT_HOSTS_ENV]).toBe('127.0.0.1');
    expect(process.env[ALLOWED_ENDPOINT_HOSTS_ENV]).toBe('127.0.0.1');
  });

  it('a DescribeCluster endpoint on another host fails that cluster alone, and nothing reaches that host', async () => {
    const victim = refOf(state, 'analytics');
    h.sim.control.setClusterEndpoint(victim, elsewhere.url);
    try {
      const report = await pass(state);
      expect(resultOf(report, 'analytics')).toMatchObject({ outcome: 'failed', error: { code: 'eks.endpoint_not_allowed' } });
      expect(resultOf(report, 'analytics').error?.message).toContain('127.0.0.2');
      const others = Object.entries(outcomes(report)).filter(([name]) => name !== 'analytics');
      expect(
        others.every(([, outcome]) => outcome === 'applied' || outcome === 'unchanged'),
        explain(report),
      ).toBe(true);
      expect(elsewhere.connections).toBe(0);
      expect(elsewhere.bytes).toBe(0);
    } finally {
      h.sim.control.setClusterEndpoint(victim, null);
    }
  });

  it('the store refuses such an endpoint too, before making a token (whoever described the cluster)', async () => {
    const ports = e2ePorts(state);
    const cluster = state.clusters.find((c) => c.name === 'analytics');
    if (cluster === undefined) throw new Error('no analytics');
    const ref = { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
    const real = await ports.clusters.describe(ref);
    const caught = await ports.awsAuth.read(ref, { ...real, endpoint: elsewhere.url }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isHubError(caught) && caught.code).toBe('eks.endpoint_not_allowed');
    expect(elsewhere.connections).toBe(0);
  });

  it('without the setting, even the simulator gets no token: every cluster fails with the code', async () => {
    h.sim.control.resetCounters();
    const report = await pass(state, { ports: createAwsPorts({ hub: state.hub, maxAttempts: 1, allowedEndpointHosts: [] }) });
    expect(new Set(report.clusters.map((c) => c.error?.code))).toEqual(new Set(['eks.endpoint_not_allowed']));
    expect(Object.keys(h.sim.control.counters()).filter((op) => op.startsWith('k8s:'))).toEqual([]);
  });
});
