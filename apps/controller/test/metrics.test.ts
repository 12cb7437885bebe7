/**
 * The per-cluster series are kept as numbers and written at scrape time: their text must be what
 * prom-client's gauges gave for the same passes (the service tests read the values through /metrics),
 * and a scrape of thousands of clusters must arrive whole, a chunk at a time. A service that runs one
 * shard labels every series with it.
 */

import { CLUSTER_OUTCOMES, type ClusterOutcome } from '@eks-auth-hub/core';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type ClusterLabels, ClusterSeries } from '../src/cluster-series.js';
import { HubMetrics } from '../src/metrics.js';
import { createApp, listen } from '../src/server.js';
import type { StatusView } from '../src/status.js';

const P = 'eks_auth_hub_';

/** The four gauges as the hub kept them in prom-client, fed the same way (on a registry with these default labels). */
function promClientGauges(defaultLabels: Record<string, string> = {}): {
  registry: Registry;
  know(c: ClusterLabels): void;
  record(c: ClusterLabels, outcome: ClusterOutcome, finished: number, sets: { unresolved: number; ambiguous: number } | undefined): void;
} {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  const registers = [registry];
  const lastSuccess = new Gauge({
    name: `${P}cluster_last_success_timestamp_seconds`,
    help: 'When the cluster was last found or made equal to the desired state (unchanged or applied).',
    labelNames: ['cluster', 'account', 'region'],
    registers,
  });
  const lastOutcome = new Gauge({
    name: `${P}cluster_last_outcome`,
    help: 'Outcome of the last pass per cluster: 1 for the outcome it had, 0 for the others.',
    labelNames: ['cluster', 'account', 'region', 'outcome'],
    registers,
  });
  const unresolved = new Gauge({
    name: `${P}unresolved_permission_sets`,
    help: 'Permission sets of the cluster with no Identity Center role in its account (their entries are left out).',
    labelNames: ['cluster', 'account', 'region'],
    registers,
  });
  const ambiguous = new Gauge({
    name: `${P}ambiguous_permission_sets`,
    help: 'Permission sets of the cluster with more than one matching role (never guessed).',
    labelNames: ['cluster', 'account', 'region'],
    registers,
  });
  const known = new Set<string>();
  const know = (c: ClusterLabels): void => {
    if (known.has(c.id)) return;
    known.add(c.id);
    const labels = { cluster: c.name, account: c.account, region: c.region };
    unresolved.set(labels, 0);
    ambiguous.set(labels, 0);
    for (const outcome of CLUSTER_OUTCOMES) lastOutcome.set({ ...labels, outcome }, 0);
  };
  return {
    registry,
    know,
    record(c, outcome, finished, sets) {
      know(c);
      const labels = { cluster: c.name, account: c.account, region: c.region };
      for (const o of CLUSTER_OUTCOMES) lastOutcome.set({ ...labels, outcome: o }, o === outcome ? 1 : 0);
      if (outcome === 'unchanged' || outcome === 'applied') lastSuccess.set(labels, finished);
      if (sets !== undefined) {
        unresolved.set(labels, sets.unresolved);
        ambiguous.set(labels, sets.ambiguous);
      }
    },
  };
}

/** Non-empty lines of each family, by family name, in order. */
function families(text: string): Map<string, string[]> {
  const byFamily = new Map<string, string[]>();
  let current = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+) /.exec(line);
    if (help !== null) current = help[1] ?? '';
    byFamily.set(current, [...(byFamily.get(current) ?? []), line]);
  }
  return byFamily;
}

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ClusterSeries', () => {
  it('writes the same text as prom-client gauges fed the same passes, odd label values included', async () => {
    const next = random(7);
    const clusters: ClusterLabels[] = Array.from({ length: 60 }, (_, i) => ({
      id: `c${i}`,
      name: i % 7 === 0 ? `odd"name\\${i}\nline` : `cluster-${i}`,
      account: String(100_000_000_000 + (i % 9)),
      region: i % 2 === 0 ? 'eu-west-1' : 'us-east-1',
    }));
    const series = new ClusterSeries(P);
    const reference = promClientGauges();
    // The first 40 are known from the start; the others show up in a pass's results.
    for (const c of clusters.slice(0, 40)) {
      series.know(c);
      reference.know(c);
    }
    const compare = async (): Promise<void> => {
      const ours = families([...series.exposition()].join(''));
      const theirs = families(await reference.registry.metrics());
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      // HELP and TYPE first, then the same samples (their order within a family means nothing).
      const sorted = (lines: readonly string[]): string[] => [...lines.slice(0, 2), ...lines.slice(2).sort()];
      for (const [name, lines] of theirs) expect(sorted(ours.get(name) ?? []), name).toEqual(sorted(lines));
    };
    await compare();
    for (let pass = 0; pass < 6; pass++) {
      const finished = 1_764_000_000 + pass * 600 + next();
      for (const c of clusters) {
        if (next() < 0.2) continue; // not in this pass
        const outcome = CLUSTER_OUTCOMES[Math.floor(next() * CLUSTER_OUTCOMES.length)] ?? 'unchanged';
        const sets = outcome === 'failed' ? undefined : { unresolved: Math.floor(next() * 3), ambiguous: Math.floor(next() * 2) };
        series.record(c, outcome, finished, sets);
        reference.record(c, outcome, finished, sets);
      }
      await compare();
    }
    expect(series.size).toBe(clusters.length);
  });

  it('writes what was recorded before the scrape began, whatever is recorded while it is being written', () => {
    const series = new ClusterSeries(P);
    const a = { id: 'a', name: 'a', account: '111122223333', region: 'eu-west-1' };
    series.record(a, 'applied', 100, { unresolved: 0, ambiguous: 0 });
    const chunks = series.exposition();
    const first = chunks.next().value as string;
    series.record(a, 'failed', 200, undefined);
    series.record({ ...a, id: 'b', name: 'b' }, 'applied', 200, { unresolved: 1, ambiguous: 0 });
    const text = first + [...chunks].join('');
    expect(text).toContain(`${P}cluster_last_outcome{cluster="a",account="111122223333",region="eu-west-1",outcome="applied"} 1`);
    expect(text).not.toContain('cluster="b"');
  });
});

describe('the shard a service runs (run --shard 2/8)', () => {
  /** The sample lines of an exposition (neither comments nor blank). */
  const samples = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const clusters: ClusterLabels[] = [
    { id: 'a', name: 'payments-prod', account: '111122223333', region: 'eu-west-1' },
    { id: 'b', name: 'odd"name\\', account: '444455556666', region: 'us-east-1' },
  ];

  it('the per-cluster series carry it as prom-client writes a default label', async () => {
    const series = new ClusterSeries(P, { shard: '2/8' });
    const reference = promClientGauges({ shard: '2/8' });
    for (const c of clusters) {
      series.know(c);
      reference.know(c);
    }
    series.record(clusters[0] as ClusterLabels, 'applied', 1_764_000_000.5, { unresolved: 1, ambiguous: 0 });
    reference.record(clusters[0] as ClusterLabels, 'applied', 1_764_000_000.5, { unresolved: 1, ambiguous: 0 });
    const ours = families([...series.exposition()].join(''));
    const theirs = families(await reference.registry.metrics());
    const sorted = (lines: readonly string[]): string[] => [...lines.slice(0, 2), ...lines.slice(2).sort()];
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, lines] of theirs) expect(sorted(ours.get(name) ?? []), name).toEqual(sorted(lines));
    expect(samples([...series.exposition()].join('')).every((l) => l.includes(',shard="2/8"}'))).toBe(true);
  });

  it('every series of /metrics carries shard="2/8", process metrics included; without a shard none has the label', async () => {
    const sharded = new HubMetrics(new Registry(), { version: '0.0.0-test' }, { shard: '2/8' });
    sharded.knowClusters(clusters);
    let text = '';
    for await (const chunk of sharded.exposition()) text += chunk;
    const lines = samples(text);
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.filter((l) => !/[{,]shard="2\/8"[,}]/.test(l))).toEqual([]);
    expect(lines).toContain(`${P}passes_total{result="success",shard="2/8"} 0`);
    expect(lines).toContain(
      `${P}cluster_last_outcome{cluster="payments-prod",account="111122223333",region="eu-west-1",outcome="failed",shard="2/8"} 0`,
    );
    expect(lines.some((l) => l.startsWith('process_start_time_seconds{shard="2/8"} '))).toBe(true);

    const whole = new HubMetrics(new Registry(), { version: '0.0.0-test' });
    whole.knowClusters(clusters);
    let plain = '';
    for await (const chunk of whole.exposition()) plain += chunk;
    expect(plain).not.toContain('shard=');
    expect(samples(plain)).toContain(`${P}passes_total{result="success"} 0`);
  });
});

describe('/metrics of thousands of clusters', () => {
  it('arrives whole, in chunks, with every series of every cluster and the registry metrics', async () => {
    const metrics = new HubMetrics(new Registry(), { version: '0.0.0-test' }, { processMetrics: false });
    const clusters = Array.from({ length: 5_000 }, (_, i) => ({
      id: `111122223333/eu-west-1/c${i}`,
      name: `cluster-${i}`,
      account: '111122223333',
      region: 'eu-west-1',
    }));
    metrics.knowClusters(clusters);
    const status = (): StatusView => ({
      ready: false,
      config: { file: 'hub.yaml', clusters: 5_000, desiredHash: 'h' },
      passes: 0,
      lastPass: null,
      nextPassAt: null,
      running: false,
      passStartedAt: null,
      passDeadline: null,
      stalled: null,
      inFlight: [],
    });
    const { server, url } = await listen(createApp({ metrics, status }), { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      const text = await res.text();
      expect(text.length).toBeGreaterThan(4 * 64 * 1024);
      const lines = text.split('\n');
      expect(lines.filter((l) => l.startsWith(`${P}cluster_last_outcome{`))).toHaveLength(5 * 5_000);
      expect(lines.filter((l) => l.startsWith(`${P}unresolved_permission_sets{`))).toHaveLength(5_000);
      expect(lines.filter((l) => l.startsWith(`${P}ambiguous_permission_sets{`))).toHaveLength(5_000);
      expect(lines.filter((l) => l.startsWith(`${P}cluster_last_success_timestamp_seconds{`))).toHaveLength(0);
      expect(lines).toContain(
        `${P}cluster_last_outcome{cluster="cluster-4999",account="111122223333",region="eu-west-1",outcome="failed"} 0`,
      );
      expect(lines).toContain(`${P}passes_total{result="success"} 0`);
      expect(text.endsWith('\n')).toBe(true);
      // Every family declared once.
      const types = lines.filter((l) => l.startsWith('# TYPE '));
      expect(new Set(types).size).toBe(types.length);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
