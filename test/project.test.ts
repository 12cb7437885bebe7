/**
 * Project hygiene: the README's commands are the ones CI runs, the linter (run in CI) refuses skipped or
 * focused tests, and `pnpm test:unit` is a part of `pnpm test` that starts no child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import full from '../vitest.config.js';
import { UNIT_TESTS } from '../vitest.unit.config.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

// A vitest include pattern of the forms this repository uses (a star, a double star and a slash) as a regular expression.
function globRegex(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] ?? '';
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (c === '*') source += '[^/]*';
    else source += /[a-zA-Z0-9/_-]/.test(c) ? c : `\\${c}`;
  }
  return new RegExp(`^${source}$`);
}

/** Every file below `dir`, relative to the repository, outside node_modules and dist. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? filesBelow(path) : [relative(repo, path)];
  });
}

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

  it('pnpm test:unit runs a part of pnpm test: each of its files is in the whole suite, none starts a child process', () => {
    const files = ['packages', 'apps'].flatMap((d) => filesBelow(join(repo, d)));
    const unit = files.filter((f) => UNIT_TESTS.some((g) => globRegex(g).test(f)));
    const whole = files.filter((f) => (full.test?.include ?? []).some((g) => globRegex(g).test(f)));
    for (const glob of UNIT_TESTS)
      expect(
        unit.some((f) => globRegex(glob).test(f)),
        glob,
      ).toBe(true);
    expect(unit.filter((f) => !whole.includes(f))).toEqual([]);
    expect(unit.filter((f) => /from 'node:child_process'/.test(readFileSync(join(repo, f), 'utf8')))).toEqual([]);
  });
});
