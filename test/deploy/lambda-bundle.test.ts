/**
 * The Lambda bundle (`pnpm build:lambda`): one ES module with every dependency inside, packed in a zip
 * with the desired-state file. The zip is unpacked into an empty folder and its handler invoked there
 * by a separate Node process that may read nothing outside that folder (Node's permission model), as
 * Lambda would invoke it, against the simulator: no node_modules, no workspace, no simulator code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYTICS, demoHubFile, demoState, PAYMENTS, refOf, repoRoot as repo, writesSeen } from '@eks-auth-hub/testing';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLambda, type LambdaBuild } from '../../deploy/build-lambda.js';

const work = mkdtempSync(join(tmpdir(), 'hub-lambda-'));
const task = mkdtempSync(join(work, 'task-'));
let built: LambdaBuild;

beforeAll(async () => {
  built = await buildLambda({ config: demoHubFile, outDir: join(work, 'out') });
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Invocation {
  readonly result?: Record<string, unknown>;
  readonly error?: string;
  /** stdout lines other than the result: the function's logs and EMF lines, parsed. */
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
}

// Imports the handler from the unpacked folder and calls it once, like the Lambda runtime.
const INVOKE = `
const { handler } = await import(process.env.HANDLER_URL);
try {
  const result = await handler(JSON.parse(process.argv[1]));
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');
} catch (error) {
  process.stdout.write('ERROR ' + JSON.stringify(error instanceof Error ? error.message : String(error)) + '\\n');
}`;

function invoke(event: unknown): Promise<Invocation> {
  const args = ['--experimental-permission', `--allow-fs-read=${task}/*`, '--input-type=module', '-e', INVOKE, JSON.stringify(event)];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAMBDA_TASK_ROOT: task,
    HANDLER_URL: `file://${task}/index.mjs`,
    NODE_PATH: '',
    NODE_OPTIONS: '',
  };
  delete env['EKS_AUTH_HUB_CONFIG'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: task, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`the invocation process failed: ${error.message}\n${stderr}`));
      const lines = stdout.split('\n').filter((l) => l !== '');
      const result = lines.find((l) => l.startsWith('RESULT '));
      const failure = lines.find((l) => l.startsWith('ERROR '));
      resolve({
        ...(result === undefined ? {} : { result: JSON.parse(result.slice(7)) as Record<string, unknown> }),
        ...(failure === undefined ? {} : { error: JSON.parse(failure.slice(6)) as string }),
        lines: lines
          .filter((l) => !l.startsWith('RESULT ') && !l.startsWith('ERROR '))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
        stderr,
      });
    });
  });
}

describe('pnpm build:lambda', () => {
  it('is the script pnpm runs', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:lambda']).toBe('pnpm build && tsx deploy/build-lambda.ts');
  });

  it('bundles the hub from its sources, without the simulator or test code', () => {
    expect(built.inputs).toContain('apps/controller/src/lambda.ts');
    expect(built.inputs.some((i) => i.startsWith('packages/core/src/'))).toBe(true);
    expect(built.inputs.some((i) => i.startsWith('packages/aws/src/'))).toBe(true);
    expect(built.inputs.some((i) => i.includes('@kubernetes/client-node'))).toBe(true);
    expect(built.inputs.filter((i) => /^(packages\/sim|test)\/|\/(selfsigned|vitest|express|prom-client)\//.test(i))).toEqual([]);
    const code = readFileSync(built.bundle, 'utf8');
    expect(code.startsWith("import { createRequire as __hubCreateRequire } from 'node:module';")).toBe(true);
  });

  it('packs index.mjs and hub.yaml into a zip far below the Lambda limits, the same bytes every time', async () => {
    const entries = unzipSync(readFileSync(built.zip));
    expect(Object.keys(entries).sort()).toEqual(['hub.yaml', 'index.mjs']);
    expect(Buffer.from(entries['index.mjs'] ?? []).equals(readFileSync(built.bundle))).toBe(true);
    expect(Buffer.from(entries['hub.yaml'] ?? []).toString('utf8')).toBe(readFileSync(demoHubFile, 'utf8'));
    expect(built.zipBytes).toBeLessThan(50 * 1024 * 1024); // direct upload limit
    expect(built.bundleBytes).toBeLessThan(250 * 1024 * 1024); // unzipped limit
    const again = await buildLambda({ config: demoHubFile, outDir: join(work, 'again') });
    expect(readFileSync(again.zip).equals(readFileSync(built.zip))).toBe(true);
    // Unpacked as Lambda does: the task folder holds the zip's two files and nothing else.
    for (const [name, bytes] of Object.entries(entries)) writeFileSync(join(task, name), bytes);
  }, 60_000);
});

describe('the unpacked bundle, invoked alone against the simulator', { timeout: 60_000 }, () => {
  const h = useSimulator();
  const state = demoState();
  const payments = state.clusters.filter((c) => c.account === PAYMENTS).map((c) => c.name);

  it('{"shard": "2/3"}: one pass over the accounts of shard 2 (payments), named in its summary, logs and metrics', async () => {
    const out = await invoke({ shard: '2/3' });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({
      shard: '2/3',
      dryRun: false,
      counts: { applied: payments.length, unchanged: 0, failed: 0, blocked: 0 },
    });
    const reconciled = out.lines.filter((l) => l['msg'] === 'cluster reconciled');
    expect(reconciled.map((l) => l['cluster'])).toEqual(payments);
    expect(out.lines.find((l) => l['msg'] === 'pass finished')).toMatchObject({ shard: '2/3' });
    const emf = out.lines.find((l) => '_aws' in l) as
      | { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] }; Shard?: string }
      | undefined;
    expect(emf?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[], ['Shard']]);
    expect(emf?.Shard).toBe('2/3');
    expect(h.sim.control.readAwsAuth(refOf(state, 'analytics'))).toBeNull(); // another shard's cluster
  });

  it('{}: one pass over every cluster; the payments clusters are already right', async () => {
    const out = await invoke({});
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({
      dryRun: false,
      counts: { unchanged: payments.length, applied: state.clusters.length - payments.length, failed: 0 },
    });
    expect(out.result).not.toHaveProperty('shard');
    expect(h.sim.control.readAwsAuth(refOf(state, 'analytics'))).not.toBeNull();
  });

  it('{"accounts": [...], "dryRun": true}: plans those accounts and writes nothing', async () => {
    const writes = writesSeen(h.sim);
    const out = await invoke({ accounts: [ANALYTICS], dryRun: true });
    expect(out.result).toMatchObject({ dryRun: true, shard: `accounts ${ANALYTICS}`, counts: { unchanged: 2, planned: 0 } });
    expect(writesSeen(h.sim)).toBe(writes);
  });

  it('a bad event fails the invocation with the reason, and nothing is called', async () => {
    h.sim.control.resetCounters();
    const out = await invoke({ shard: '0/3' });
    expect(out.result).toBeUndefined();
    expect(out.error).toBe(
      'eks-auth-hub: the event cannot be used: shard: shard 0/3 does not exist: shards are numbered from 1, so the shards of 3 are 1/3 … 3/3; no pass was run',
    );
    expect(h.sim.control.counters()).toEqual({});
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});
