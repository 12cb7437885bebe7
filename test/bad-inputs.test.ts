/**
 * Hostile desired-state files (test/bad-inputs, listed in its cases.yaml): every one through the
 * built CLI as a user runs it (`validate`; `plan` for some) and through the loader in-process. Each
 * must be refused with exit code 1 and a located, human message: no stack trace, no raw control
 * characters, no Node warning, bounded output. The time each takes is printed, not asserted.
 * Needs `pnpm build` first (the test command does it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatConfigIssue, INVISIBLE_CHAR, loadDesiredState } from '@eks-auth-hub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { GENERATED, writeGenerated } from './bad-inputs/generate.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = join(repo, 'test', 'bad-inputs');
const bin = join(repo, 'apps', 'controller', 'dist', 'main.js');

const caseSchema = z.strictObject({
  file: z.string(),
  generated: z.literal(true).optional(),
  category: z.string(),
  what: z.string(),
  expect: z.string().min(8),
  at: z.string().regex(/^\d+:\d+$/),
  plan: z.literal(true).optional(),
});
type Case = z.output<typeof caseSchema>;
const cases: readonly Case[] = z.array(caseSchema).parse(parse(readFileSync(join(corpus, 'cases.yaml'), 'utf8')));
const planCases = cases.filter((c) => c.plan === true);

/** The categories the corpus must cover, each with at least two files. */
const CATEGORIES = [
  'empty',
  'broken-yaml',
  'duplicate',
  'wrong-type',
  'unknown-key',
  'deep-nesting',
  'size',
  'control-chars',
  'alias',
  'injection',
  'look-alike',
  'encoding',
  'binary',
];
/** The corpus' own files, which are not cases. */
const NOT_CASES = new Set(['cases.yaml', 'generate.ts', 'README.md', '.gitattributes']);
/** Largest output allowed for one refused file, however large the file. */
const MAX_OUTPUT_BYTES = 20_000;

const generatedDir = mkdtempSync(join(tmpdir(), 'hub-bad-inputs-'));
const pathOf = (c: Case): string => (c.generated === true ? join(generatedDir, c.file) : join(corpus, c.file));

beforeAll(() => {
  writeGenerated(generatedDir);
});
afterAll(() => {
  rmSync(generatedDir, { recursive: true, force: true });
});

/** Milliseconds per file: the CLI (start-up included) and the loader alone. */
const timings = new Map<string, { cli?: number; loader?: number }>();
function timed(file: string, what: 'cli' | 'loader', ms: number): void {
  timings.set(file, { ...timings.get(file), [what]: ms });
}

afterAll(() => {
  const rows = [...timings].sort((a, b) => (b[1].cli ?? 0) - (a[1].cli ?? 0));
  const cli = rows.flatMap(([, t]) => (t.cli === undefined ? [] : [t.cli])).sort((a, b) => a - b);
  const loader = rows.flatMap(([, t]) => (t.loader === undefined ? [] : [t.loader])).sort((a, b) => a - b);
  const pct = (sorted: number[], p: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(0);
  const lines = [
    `bad inputs: ${rows.length} files; validate through the CLI (node start-up included): median ${pct(cli, 0.5)} ms, p90 ${pct(cli, 0.9)} ms, max ${pct(cli, 1)} ms, over 1 s: ${cli.filter((ms) => ms > 1000).length}`,
    `            loader in-process: median ${pct(loader, 0.5)} ms, p90 ${pct(loader, 0.9)} ms, max ${pct(loader, 1)} ms`,
    `            (${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; two CLI runs at a time)`,
    '  cli ms  loader ms  file',
    ...rows.map(([file, t]) => `${(t.cli ?? NaN).toFixed(0).padStart(8)}  ${(t.loader ?? NaN).toFixed(0).padStart(9)}  ${file}`),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
});

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Any AWS call would go to a closed local port: an invalid file must stop `plan` before one. */
const env = {
  ...process.env,
  NO_COLOR: '1',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret',
  AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9',
};

function runCli(args: readonly string[]): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repo, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Runs `work` over `items`, at most `limit` at once (the machine has few cores). */
async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

/** The refusal a user must see: located, human, bounded, nothing raw, nothing from the runtime. */
function expectHumanRefusal(run: CliRun, c: Case): void {
  const file = pathOf(c);
  const output = `${run.stdout}${run.stderr}`;
  expect(run.code, output.slice(0, 2000)).toBe(1);
  expect(run.stdout).toBe('');
  expect(Buffer.byteLength(output)).toBeLessThan(MAX_OUTPUT_BYTES);
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(
    lines.find((line) => line.startsWith(`${file}:${c.at}: `) && line.includes(c.expect)),
    run.stderr.slice(0, 2000),
  ).toBeDefined();
  for (const line of lines) expect(line.startsWith(`${file}:`), line).toBe(true);
  expect(lines.at(-1)).toMatch(/: \d+ problems?; nothing was changed$/);
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/\b[A-Za-z]*Error\b|node:internal|internal error|Maximum call stack|\(node:\d+\)|Warning:/);
  expect(INVISIBLE_CHAR.test(output.replaceAll('\n', '')), JSON.stringify(output.slice(0, 500))).toBe(false);
}

describe('the hostile-file corpus', () => {
  it('lists every file of test/bad-inputs exactly once, and every generated file, at least 60 in all', () => {
    const committed = readdirSync(corpus)
      .filter((name) => !NOT_CASES.has(name))
      .sort();
    const listed = cases.filter((c) => c.generated !== true).map((c) => c.file);
    expect([...listed].sort()).toEqual(committed);
    expect(
      cases
        .filter((c) => c.generated === true)
        .map((c) => c.file)
        .sort(),
    ).toEqual(Object.keys(GENERATED).sort());
    expect(new Set(cases.map((c) => c.file)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CATEGORIES)('covers %s with at least two files', (category) => {
    expect(cases.filter((c) => c.category === category).length).toBeGreaterThanOrEqual(2);
  });
});

describe('eks-auth-hub validate refuses every hostile file (built program)', () => {
  const runs = new Map<string, CliRun>();
  beforeAll(async () => {
    await eachLimited(cases, 2, async (c) => {
      const run = await runCli(['validate', '--config', pathOf(c)]);
      runs.set(c.file, run);
      timed(c.file, 'cli', run.ms);
    });
  }, 600_000);

  it.each(cases)('$file ($what)', (c) => {
    const run = runs.get(c.file);
    if (run === undefined) throw new Error(`${c.file} was not run`);
    expectHumanRefusal(run, c);
  });

  it('accepts a valid file behind one UTF-8 byte-order mark, as Windows editors save it', async () => {
    const file = join(generatedDir, 'hub-with-bom.yaml');
    writeFileSync(file, `\ufeff${readFileSync(join(repo, 'config', 'hub.yaml'), 'utf8')}`);
    const run = await runCli(['validate', '--config', file]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`OK ${file}: 4 clusters in 3 accounts, 14 mappings (7 by permission set, 5 distinct permission sets)\n`);
  });
});

describe('eks-auth-hub plan refuses them too, before any AWS call (built program)', () => {
  const runs = new Map<string, CliRun>();
  beforeAll(async () => {
    await eachLimited(planCases, 2, async (c) => {
      runs.set(c.file, await runCli(['plan', '--config', pathOf(c)]));
    });
  }, 300_000);

  it.each(planCases)('$file', (c) => {
    const run = runs.get(c.file);
    if (run === undefined) throw new Error(`${c.file} was not run`);
    expectHumanRefusal(run, c);
  });
});

describe('loadDesiredState refuses every hostile file (in-process)', { timeout: 60_000 }, () => {
  it.each(cases)('$file', (c) => {
    const file = pathOf(c);
    const bytes = readFileSync(file);
    const started = performance.now();
    const result = loadDesiredState(bytes, file);
    timed(c.file, 'loader', performance.now() - started);
    if (result.ok) throw new Error(`${c.file} was accepted`);
    const lines = result.error.issues.map(formatConfigIssue);
    expect(
      lines.find((line) => line.startsWith(`${file}:${c.at}: `) && line.includes(c.expect)),
      lines.slice(0, 5).join('\n'),
    ).toBeDefined();
    for (const issue of result.error.issues) {
      expect(issue.location.line).toBeGreaterThanOrEqual(1);
      expect(issue.location.column).toBeGreaterThanOrEqual(1);
      expect(INVISIBLE_CHAR.test(`${issue.path}${issue.message}`), JSON.stringify(issue)).toBe(false);
    }
    expect(result.error.kind).toBe('user');
    expect(Buffer.byteLength(result.error.message)).toBeLessThan(MAX_OUTPUT_BYTES);
  });
});
