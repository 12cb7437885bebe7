/**
 * `run --shard 2/8` as the service sees it (startHub with a shard): only the clusters of the
 * shard's accounts, every pass's report names the shard, and every series of /metrics carries it.
 */
import { appendFileSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError, type Ports, shardOfAccount } from '@eks-auth-hub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config-file.js';
import { createLogger } from '../src/logging.js';
import { type RunningHub, startHub } from '../src/run.js';

const repo = join(import.meta.dirname, '..', '..', '..');

/** Ports that reach nothing: every call fails, so every cluster of a pass fails (the metrics are what is looked at). */
function unreachable(): Ports {
  const port = new Proxy(
    {},
    {
      get: () => async () => {
        throw new HubError('transient', 'aws.error', 'no AWS in this test');
      },
    },
  );
  return { sessions: port, roles: port, clusters: port, awsAuth: port, clock: { now: () => new Date() } } as unknown as Ports;
}

let hub: RunningHub;
let inShard: string[];
let others: string[];

beforeAll(async () => {
  const state = await loadConfigFile(join(repo, 'config', 'hub.yaml'));
  inShard = state.clusters.filter((c) => shardOfAccount(c.account, 2) === 1).map((c) => c.name);
  others = state.clusters.filter((c) => shardOfAccount(c.account, 2) !== 1).map((c) => c.name);
  hub = await startHub({
    state,
    listen: { host: '127.0.0.1', port: 0 },
    logger: createLogger({ level: 'silent' }),
    makePorts: unreachable,
    shard: { kind: 'shard', index: 1, count: 2 },
  });
});

afterAll(async () => {
  await hub.stop(0);
});

describe('the service running shard 1/2 of config/hub.yaml', () => {
  it('the file has clusters in both shards (or this test proves nothing)', () => {
    expect(inShard.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
  });

  it('passes cover the shard only, and their reports name it', async () => {
    const report = await hub.service.runPass();
    expect(report.shard).toBe('1/2');
    expect(report.clusters.map((c) => c.name).sort()).toEqual([...inShard].sort());
  });

  it('every series of /metrics carries shard="1/2"; only the shard\'s clusters have series', async () => {
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples.filter((l) => !/[{,]shard="1\/2"[,}]/.test(l))).toEqual([]);
    for (const name of inShard) expect(text).toContain(`cluster="${name}"`);
    for (const name of others) expect(text).not.toContain(`cluster="${name}"`);
    // Every cluster failed (nothing to reach): the passes so far count as failures.
    expect(samples.some((l) => /^eks_auth_hub_passes_total\{result="failure",shard="1\/2"\} [1-9]/.test(l))).toBe(true);
  });
});

describe('the service running shard 1/2 of a file it reloads', () => {
  it('a reloaded file is cut to the shard again', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hub-shard-')), 'hub.yaml');
    copyFileSync(join(repo, 'config', 'hub.yaml'), file);
    const watched = await startHub({
      configFile: file,
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'silent' }),
      makePorts: unreachable,
      shard: { kind: 'shard', index: 1, count: 2 },
    });
    try {
      const fileHash = async (): Promise<string> =>
        ((await (await fetch(`${watched.url}/status`)).json()) as { config: { fileHash: string } }).config.fileHash;
      const first = await watched.service.runPass();
      expect(first.clusters.map((c) => c.name).sort()).toEqual([...inShard].sort());
      const before = await fileHash();
      appendFileSync(file, '# edited\n');
      let report = await watched.service.runPass();
      while (report === first) report = await watched.service.runPass();
      expect(await fileHash()).not.toBe(before);
      expect(report.shard).toBe('1/2');
      expect(report.clusters.map((c) => c.name).sort()).toEqual([...inShard].sort());
    } finally {
      await watched.stop(0);
    }
  });
});
