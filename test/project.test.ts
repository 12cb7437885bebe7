/** Project hygiene: the README's commands are the ones CI runs, and no test is skipped or focused. */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? testFiles(path) : entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('project', () => {
  it('the README opens with the set-up and test commands, and .ci/run runs exactly those', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const [setup, tests] = shellBlocks(readme);
    expect(setup).toBe('npm i -g pnpm@12.4.2 && pnpm install --frozen-lockfile && pnpm build && pnpm demo');
    expect(tests).toBe('pnpm test');
    expect(readme.indexOf(setup ?? '')).toBeLessThan(300);
    const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8').split('\n');
    expect(ci).toContain(setup);
    expect(ci).toContain(tests);
  });

  it('pins pnpm through packageManager, matching the README', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { packageManager?: string };
    expect(pkg.packageManager).toBe('pnpm@12.4.2');
  });

  it('has no skipped, focused or to-do tests', () => {
    const offenders = testFiles(repo).flatMap((file) => {
      const code = readFileSync(file, 'utf8');
      return /\b(?:it|test|describe|suite)\s*\.\s*(?:skip|only|todo|skipIf|runIf)\b|\bx(?:it|describe)\s*\(/.test(code) ? [relative(repo, file)] : [];
    });
    expect(offenders).toEqual([]);
  });
});
