/**
 * Project hygiene: the README's commands are the ones CI runs, its first screen is the map, the docs' links lead
 * somewhere, the linter (run in CI) refuses skipped or focused tests, and `pnpm test:unit` is a part of `pnpm test`
 * that starts no child process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@eks-auth-hub/controller';
import { CLUSTER_OUTCOMES, GUARD_RULES, loadDesiredState } from '@eks-auth-hub/core';
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

/** The markdown files a reader follows links through: the README, docs/ and every package's README. */
function markdownFiles(): string[] {
  const inDir = (dir: string, pick: (name: string) => boolean): string[] =>
    existsSync(join(repo, dir))
      ? readdirSync(join(repo, dir))
          .filter(pick)
          .map((name) => join(repo, dir, name))
      : [];
  const readmes = ['packages', 'apps'].flatMap((group) =>
    inDir(group, () => true)
      .filter((dir) => existsSync(join(dir, 'README.md')))
      .map((dir) => join(dir, 'README.md')),
  );
  return [join(repo, 'README.md'), ...inDir('docs', (name) => name.endsWith('.md')), ...readmes];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? '')));
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

  it("the README's first screen holds the purpose, the tour, the layout and the links to the docs", () => {
    const firstScreen = readFileSync(join(repo, 'README.md'), 'utf8').split('\n').slice(0, 65).join('\n');
    for (const heading of ['## What it is for', '## A short tour', '## Layout']) expect(firstScreen, heading).toContain(heading);
    for (const doc of ['architecture', 'configuration', 'operations', 'deploy', 'failure-behaviour', 'benchmarks'])
      expect(firstScreen, doc).toContain(`(docs/${doc}.md)`);
  });

  it('every relative link in the README, docs/ and the package READMEs leads to a file, and its anchor to a heading', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const linked = path === '' ? file : join(dirname(file), path);
        if (!existsSync(linked)) broken.push(`${relative(repo, file)}: ${target} (no such file)`);
        else if (anchor !== undefined && linked.endsWith('.md') && !anchorsIn(readFileSync(linked, 'utf8')).has(anchor))
          broken.push(`${relative(repo, file)}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('docs/operations.md names every guard rule in its table and every cluster outcome', () => {
    const operations = readFileSync(join(repo, 'docs', 'operations.md'), 'utf8');
    for (const rule of GUARD_RULES) expect(operations, rule).toMatch(new RegExp(`^\\| \`${rule}\` +\\|`, 'm'));
    for (const outcome of CLUSTER_OUTCOMES) expect(operations, outcome).toContain(`\`${outcome}\``);
  });

  it("docs/operations.md has a row for every command of the CLI's usage text, with every flag", async () => {
    let usage = '';
    await runCli(['--help'], { stdout: (line) => (usage += `${line}\n`), stderr: (line) => (usage += `${line}\n`) });
    const commandsSection = usage.slice(usage.indexOf('Commands:'), usage.indexOf('\n\n', usage.indexOf('Commands:')));
    const commands = [...commandsSection.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] ?? '');
    expect(commands).toContain('plan');
    const operations = readFileSync(join(repo, 'docs', 'operations.md'), 'utf8');
    for (const command of commands) {
      const row = new RegExp(`^\\| \`pnpm hub ${command}\\b[^\\n]*`, 'm').exec(operations)?.[0];
      expect(row, command).toBeDefined();
      // every flag the usage line offers is in the row's command column
      const line = new RegExp(`^ {2}${command}\\b[^\\n]*`, 'm').exec(commandsSection)?.[0] ?? '';
      const column = (row ?? '').split(' | ')[0] ?? '';
      for (const flag of line.match(/--[a-z-]+/g) ?? []) expect(column, `${command} ${flag}`).toContain(flag);
    }
  });

  it('the desired-state files shown in docs/configuration.md load', () => {
    const configuration = readFileSync(join(repo, 'docs', 'configuration.md'), 'utf8');
    const files = [...configuration.matchAll(/```yaml\n(apiVersion: eks-auth-hub\/v1\n[\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(loadDesiredState(file, 'docs/configuration.md').ok, file).toBe(true);
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
