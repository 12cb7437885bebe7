/**
 * `run` as a user starts it: the built program (`pnpm build` first) in a child process, from the
 * repository root, with the SDK's standard settings pointing at an in-process simulator.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bin,
  demoState,
  exitWithin,
  freePort,
  http,
  jsonLines,
  parseExposition,
  refOf,
  runToEnd,
  type Started,
  sampleValue,
  start,
  useSimulator,
  waitFor,
} from './helpers.js';

const h = useSimulator();
const children: Started[] = [];

afterEach(() => {
  h.sim.control.clearFaults();
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at .+\(?.+:[0-9]+:[0-9]+\)?$/m);
  expect(text).not.toMatch(/\b(TypeError|ReferenceError|internal error)\b/);
}

describe('eks-auth-hub run (built program)', () => {
  it('is built', () => {
    expect(existsSync(bin), 'run `pnpm build` first').toBe(true);
  });

  it('serves /readyz 503, then 200 after the first pass; SIGTERM stops it with exit code 0', async () => {
    // The first pass waits 600 ms for its sessions, so /readyz is seen before it finishes.
    h.sim.control.setFault('sts:AssumeRole', { latencyMs: 600 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hub = start(process.execPath, [bin, 'run', '--config', 'config/sim/demo-hub.yaml', '--listen', `127.0.0.1:${port}`], h.sim.env());
    children.push(hub);

    const seen: number[] = [];
    await waitFor(
      '/readyz 200',
      async () => {
        if (hub.child.exitCode !== null) throw new Error(`exited ${hub.child.exitCode}: ${hub.stderr()}`);
        const answer = await http(`${url}/readyz`);
        seen.push(answer.status);
        return answer.status === 200;
      },
      20_000,
      25,
    );
    expect(seen[0], 'the first answer of /readyz').toBe(503);
    expect(seen.at(-1)).toBe(200);
    expect((await http(`${url}/healthz`)).status).toBe(200);

    // The pass it reported really happened: analytics had no aws-auth, now it has one.
    const state = demoState();
    expect(h.sim.control.readAwsAuth(refOf(state, 'analytics'))).not.toBeNull();
    const metrics = parseExposition((await http(`${url}/metrics`)).body);
    expect(sampleValue(metrics, 'eks_auth_hub_passes_total', { result: 'success' })).toBeGreaterThanOrEqual(1);
    // The file in force, by its name and hash; the reload metrics say it loaded.
    expect(sampleValue(metrics, 'eks_auth_hub_config_last_reload_successful')).toBe(1);
    const config = (
      JSON.parse((await http(`${url}/status`)).body) as { config: { file: string; fileHash: string; lastReload: { successful: boolean } } }
    ).config;
    expect(config).toMatchObject({
      file: 'demo-hub.yaml',
      fileHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
      lastReload: { successful: true },
    });

    expect(hub.child.kill('SIGTERM')).toBe(true);
    const exited = await exitWithin(hub, 10_000);
    expect({ code: exited.code, signal: exited.signal }).toEqual({ code: 0, signal: null });
    // Its log: JSON lines on stdout, from start to stop.
    const messages = jsonLines<{ msg?: string }>(exited.stdout).map((l) => l.msg);
    expect(messages[0]).toBe('hub started');
    expect(messages).toContain('pass finished');
    expect(messages.at(-1)).toBe('hub stopped');
    noStackTrace(exited.stderr);
    await expect(http(`${url}/healthz`)).rejects.toThrow();
  }, 40_000);

  it('an invalid config file: exit 1, every located problem on stderr, no stack trace, no request made', async () => {
    const requests = Object.values(h.sim.control.counters()).reduce((n, c) => n + c.calls, 0);
    const port = await freePort();
    const file = 'apps/controller/test/service/fixtures/invalid-hub.yaml';
    const exited = await runToEnd(process.execPath, [bin, 'run', '--config', file, '--listen', `127.0.0.1:${port}`], h.sim.env(), 15_000);
    expect(exited.code).toBe(1);
    expect(exited.stdout).toBe('');
    expect(exited.stderr.split('\n')).toEqual([
      `${file}:5:13: hub.interval: expected a duration such as "30s", "10m" or "1h30m"; got "soon"`,
      `${file}:8:14: clusters[0].account: expected a 12-digit AWS account ID in quotes, e.g. "111122223333"; got the number 111122223333 (quote account IDs: YAML drops leading zeros of numbers)`,
      `${file}: 2 problems; nothing was changed`,
      '',
    ]);
    noStackTrace(exited.stderr);
    expect(Object.values(h.sim.control.counters()).reduce((n, c) => n + c.calls, 0)).toBe(requests);
  }, 30_000);
});
