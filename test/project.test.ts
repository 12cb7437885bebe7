/** Project hygiene: the README's commands are the ones CI runs, and the linter (run in CI) refuses skipped or focused tests. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
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

  it('lints in CI, and the linter refuses every skipped, focused, to-do or conditional test form', () => {
    const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8').split('\n');
    expect(ci).toContain('pnpm lint');
    // A probe file inside the tree (so the project's configuration applies), one form a line.
    const forms = [
      "it.skip('a', () => {});",
      "it.only('a', () => {});",
      "describe.skip('a', () => {});",
      "test.only('a', () => {});",
      "xit('a', () => {});",
      "it.todo('a');",
      "it.skipIf(true)('a', () => {});",
      "describe.runIf(false)('a', () => {});",
    ];
    const dir = mkdtempSync(join(repo, 'test', 'lint-probe-'));
    try {
      writeFileSync(
        join(dir, 'probe.test.ts'),
        ["import { describe, it, test } from 'vitest';", ...forms, "it('runs', () => {});", ''].join('\n'),
      );
      const run = spawnSync(join(repo, 'node_modules', '.bin', 'biome'), ['lint', '--colors=off', '--max-diagnostics=none', dir], {
        cwd: repo,
        encoding: 'utf8',
      });
      const flagged = new Set([...`${run.stdout}${run.stderr}`.matchAll(/probe\.test\.ts:(\d+):\d+/g)].map((m) => Number(m[1])));
      expect(run.status).toBe(1);
      // line 1 is the import; each form's line is flagged, the plain test's is not
      expect([...flagged].sort((a, b) => a - b)).toEqual(forms.map((_, i) => i + 2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
