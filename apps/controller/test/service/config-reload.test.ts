/**
 * `run` and an edited desired-state file: `startHub` with the file's name (as `run --config` does),
 * passes every 200 ms against the simulator, and the file edited, broken, deleted and put back in
 * between. A valid edit is in force from the next pass on (seen in the live aws-auth), an invalid or
 * deleted file leaves the last good version in force and says so (log, metrics, /status, the page).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/run.js';
import {
  demoHubText,
  http,
  loadState,
  memoryLogger,
  parseExposition,
  refOf,
  samplesOf,
  sampleValue,
  useSimulator,
  waitFor,
} from './helpers.js';

const h = useSimulator();
const dir = mkdtempSync(join(tmpdir(), 'hub-reload-'));
const file = join(dir, 'hub.yaml');
const log = memoryLogger('debug');
let hub: RunningHub;
/** Each write gets a later modification time, so no two versions look alike to a stat. */
let version = 0;

const first = demoHubText();
const edited = first.replace('username: "ds:{{SessionName}}"', 'username: "datasci:{{SessionName}}"');
const broken = edited.replace('region: us-east-1', 'region: us-east-1\n    regoin: eu-west-1');

function write(text: string): void {
  version += 1;
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  const when = new Date(Date.now() + version * 2_000);
  utimesSync(tmp, when, when);
  renameSync(tmp, file);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface ConfigJson {
  file: string;
  clusters: number;
  desiredHash: string;
  fileHash: string;
  loadedAt: string;
  lastReload: { at: string; successful: boolean; problem?: string; missing?: boolean };
}

async function config(): Promise<ConfigJson> {
  const answer = await http(`${hub.url}/status`);
  return (JSON.parse(answer.body) as { config: ConfigJson }).config;
}

/** Waits until two more passes have started and finished: the second certainly looked at the file as it is now. */
async function twoPasses(): Promise<void> {
  const now = hub.service.status().passes;
  await waitFor('two more passes', () => hub.service.status().passes >= now + 2, 20_000);
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(parseExposition((await http(`${hub.url}/metrics`)).body), name, labels);
}

function usernames(cluster: string): string {
  return h.sim.control.readAwsAuth(refOf(loadState(first), cluster))?.data['mapRoles'] ?? '';
}

beforeAll(async () => {
  write(first);
  hub = await startHub({ configFile: file, listen: { host: '127.0.0.1', port: 0 }, logger: log.logger, intervalMs: 200 });
});

afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('run reloads its desired-state file', () => {
  it('shows the version in force by its name and hash, never the path', async () => {
    await twoPasses();
    const c = await config();
    expect(c).toMatchObject({ file: 'hub.yaml', clusters: 5, fileHash: sha256(first), lastReload: { successful: true } });
    expect(JSON.stringify(c)).not.toContain(dir);
    const page = (await http(`${hub.url}/`)).body;
    expect(page).toContain(`hub.yaml (sha256 ${sha256(first).slice(0, 16)}`);
    expect(page).not.toContain(dir);
    expect(await metric('eks_auth_hub_config_last_reload_successful')).toBe(1);
    expect(await metric('eks_auth_hub_config_info', { file: 'hub.yaml', hash: sha256(first).slice(0, 16) })).toBe(1);
    expect(usernames('analytics')).toContain('ds:{{SessionName}}');
  });

  it('an edit is in force from the next pass: the live aws-auth follows it', async () => {
    const loadedBefore = (await config()).loadedAt;
    write(edited);
    await twoPasses();
    const c = await config();
    expect(c).toMatchObject({ file: 'hub.yaml', fileHash: sha256(edited), lastReload: { successful: true } });
    expect(c.loadedAt > loadedBefore).toBe(true);
    expect(usernames('analytics')).toContain('datasci:{{SessionName}}');
    expect(log.records().some((r) => r['msg'] === 'desired-state file reloaded' && r['hash'] === sha256(edited).slice(0, 16))).toBe(true);
    const exposition = parseExposition((await http(`${hub.url}/metrics`)).body);
    // One version in force at a time.
    expect(samplesOf(exposition, 'eks_auth_hub_config_info').map((s) => s.labels['hash'])).toEqual([sha256(edited).slice(0, 16)]);
    expect(sampleValue(exposition, 'eks_auth_hub_config_reloads_total', { result: 'success' })).toBe(1);
    expect(sampleValue(exposition, 'eks_auth_hub_config_last_reload_success_timestamp_seconds')).toBeGreaterThanOrEqual(
      Date.parse(c.loadedAt) / 1000 - 1,
    );
  });

  it('an invalid file: the last good version stays in force, its located problem is logged and shown', async () => {
    write(broken);
    await twoPasses();
    const c = await config();
    expect(c.fileHash).toBe(sha256(edited));
    expect(c.lastReload.successful).toBe(false);
    expect(c.lastReload.problem).toMatch(/^1 problem: 47:5: clusters\[2\]\.regoin: unknown key "regoin"/);
    const refused = log.records().filter((r) => r['msg'] === 'desired-state file not reloaded: the last good version stays in force');
    expect(refused).toHaveLength(1); // once, not every pass
    expect(String((refused[0]?.['problems'] as string[] | undefined)?.[0])).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:47:5: clusters\\[2\\]\\.regoin`),
    );
    expect(await metric('eks_auth_hub_config_last_reload_successful')).toBe(0);
    expect(await metric('eks_auth_hub_config_reloads_total', { result: 'failure' })).toBe(1);
    expect(await metric('eks_auth_hub_config_info', { file: 'hub.yaml', hash: sha256(edited).slice(0, 16) })).toBe(1);
    expect((await http(`${hub.url}/`)).body).toContain('The desired-state file was not reloaded');
    // Passes go on with the version in force.
    expect(hub.service.status().lastPass?.counts.failed).toBe(0);
    expect(usernames('analytics')).toContain('datasci:{{SessionName}}');
  });

  it('a deleted file: the last good version stays in force, and /status says the file is gone', async () => {
    rmSync(file);
    await twoPasses();
    const c = await config();
    expect(c.fileHash).toBe(sha256(edited));
    expect(c.lastReload).toMatchObject({
      successful: false,
      missing: true,
      problem: 'the file is gone; the last good version stays in force',
    });
    expect(log.records().filter((r) => r['msg'] === 'desired-state file gone; the last good version stays in force')).toHaveLength(1);
    expect(await metric('eks_auth_hub_config_last_reload_successful')).toBe(0);
    expect(hub.service.status().lastPass?.counts.failed).toBe(0);
  });

  it('put back as it was in force: usable again, nothing reloaded', async () => {
    write(edited);
    await twoPasses();
    expect(await config()).toMatchObject({ fileHash: sha256(edited), lastReload: { successful: true } });
    expect(await metric('eks_auth_hub_config_last_reload_successful')).toBe(1);
    expect(await metric('eks_auth_hub_config_reloads_total', { result: 'success' })).toBe(1);
  });

  it('a cluster added by an edit gets its series and its pass', async () => {
    const added = `${edited}  - name: added-later\n    account: "555566667777"\n    region: eu-central-1\n    mapRoles:\n      - permissionset: PlatformOps\n        username: "ops:{{SessionName}}"\n        groups: [system:masters]\n`;
    write(added);
    await twoPasses();
    expect((await config()).clusters).toBe(6);
    const exposition = parseExposition((await http(`${hub.url}/metrics`)).body);
    expect(samplesOf(exposition, 'eks_auth_hub_cluster_last_outcome', { cluster: 'added-later' }).length).toBeGreaterThan(0);
    expect(hub.service.status().lastPass?.clusters.map((c) => c.name)).toContain('added-later');
  });
});
