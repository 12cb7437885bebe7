/**
 * A permission set named with the wrong case (or a typo) resolves nowhere: the built CLI's `plan`
 * says which name was probably meant, and `--fail-on-unresolved` turns it into exit 3 for a CI gate
 * (without the flag `plan` stays at 0 or 2, as before).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliRun, demoHubFile, runCli, useDemoWorld } from './helpers.js';

const { h } = useDemoWorld();
const show = (run: CliRun): string => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

function fileWith(from: string, to: string): string {
  const text = readFileSync(demoHubFile, 'utf8');
  expect(text).toContain(from);
  const file = join(mkdtempSync(join(tmpdir(), 'eks-auth-hub-unresolved-')), 'hub.yaml');
  writeFileSync(file, text.replace(from, to));
  return file;
}

describe('unresolved permission sets', { timeout: 60_000 }, () => {
  const typo = fileWith(
    '      - permissionset: ReadOnly\n        username: "ro:{{SessionName}}"',
    '      - permissionset: readonly\n        username: "ro:{{SessionName}}"',
  );

  it('plan names the near miss, and --fail-on-unresolved exits 3 with the names on stderr', async () => {
    const args = ['plan', '--config', typo, '--cluster', 'payments-prod'];
    const [plain, gated] = await Promise.all([runCli(args, h.sim.env()), runCli([...args, '--fail-on-unresolved'], h.sim.env())]);
    expect(plain.code, show(plain)).toBe(2);
    expect(plain.stdout).toContain(
      '  ? permission set readonly: no Identity Center role in 111122223333; its entry is left out (did you mean ReadOnly? names are compared exactly)',
    );
    expect(gated.code, show(gated)).toBe(3);
    expect(gated.stderr).toContain('unresolved in payments-prod (111122223333): readonly (did you mean ReadOnly?)');
  });

  it('--fail-on-unresolved changes nothing when every name resolves', async () => {
    const run = await runCli(['plan', '--config', demoHubFile, '--cluster', 'payments-prod', '--fail-on-unresolved'], h.sim.env());
    expect(run.code, show(run)).toBe(2);
    expect(run.stderr).not.toContain('unresolved in');
  });
});
