/**
 * packages/core is pure: no I/O, no clock, no randomness. Callers pass listings, observed state and
 * `now` in. This test reads every source file and fails on an import or a call that breaks that.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Module specifiers in static imports, re-exports, dynamic imports and require calls. */
function importedModules(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) if (match[1] !== undefined) found.push(match[1]);
  return found;
}

const FORBIDDEN_MODULES: readonly RegExp[] = [
  /^(node:)?(fs|fs\/promises|net|http|https|http2|tls|dgram|dns|dns\/promises|child_process|cluster|worker_threads|os|process|readline|repl|inspector|timers|timers\/promises|perf_hooks|async_hooks|vm)$/,
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@kubernetes\//,
  /^(express|undici|node-fetch|axios|pino|prom-client)$/,
];

const FORBIDDEN_CALLS: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now() reads the clock; take `now` as a parameter'],
  [/\bnew\s+Date\s*\(\s*\)/, 'new Date() reads the clock; take `now` as a parameter'],
  [/\bperformance\.now\s*\(/, 'performance.now() reads the clock'],
  [/\bMath\.random\s*\(/, 'Math.random() makes results unrepeatable'],
  [/\bprocess\.(env|argv|exit|cwd|hrtime|stdout|stderr)\b/, 'process state is I/O'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, 'timers belong to the caller'],
  [/\bfetch\s*\(/, 'fetch() is I/O'],
  [/\bconsole\./, 'logging is I/O'],
];

function violations(code: string): string[] {
  const problems: string[] = [];
  for (const specifier of importedModules(code)) {
    if (FORBIDDEN_MODULES.some((re) => re.test(specifier))) problems.push(`imports ${specifier}`);
  }
  for (const [pattern, why] of FORBIDDEN_CALLS) if (pattern.test(code)) problems.push(why);
  return problems;
}

describe('packages/core purity', () => {
  const files = sourceFiles(srcDir);

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(`${relative(root, file)} does no I/O and reads no clock`, () => {
      expect(violations(readFileSync(file, 'utf8'))).toEqual([]);
    });
  }

  it('depends on nothing but p-limit, yaml and zod', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['p-limit', 'yaml', 'zod']);
  });

  it.each([
    ["import { readFileSync } from 'node:fs';", 'imports node:fs'],
    ["import fs from 'fs';", 'imports fs'],
    ["export { x } from 'node:http';", 'imports node:http'],
    ["const m = await import('node:https');", 'imports node:https'],
    ["import type { STSClient } from '@aws-sdk/client-sts';", 'imports @aws-sdk/client-sts'],
    ["import * as k8s from '@kubernetes/client-node';", 'imports @kubernetes/client-node'],
    ["import 'node:net';", 'imports node:net'],
    ['const t = Date.now();', 'Date.now() reads the clock; take `now` as a parameter'],
    ['const t = new Date();', 'new Date() reads the clock; take `now` as a parameter'],
  ])('the checker catches %s', (code, problem) => {
    expect(violations(code)).toContain(problem);
  });

  it('the checker allows parsing a given date and pure modules', () => {
    expect(violations("import { parse } from 'yaml';\nconst d = new Date(input);\nimport { createHash } from 'node:crypto';")).toEqual([]);
  });
});
