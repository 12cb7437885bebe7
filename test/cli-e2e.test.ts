/**
 * The CLI as a user starts it: the built program through `pnpm hub`, from the repository root.
 * Needs `pnpm build` first (the test command does it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(repo, 'apps', 'controller', 'dist', 'main.js');
const exec = promisify(execFile);

async function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd: repo, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('eks-auth-hub validate (built program)', () => {
  it('is built', () => {
    expect(existsSync(bin), 'run `pnpm build` first').toBe(true);
  });

  it('`pnpm hub validate --config config/hub.yaml` prints the summary and exits 0', async () => {
    const result = await run('pnpm', ['hub', 'validate', '--config', 'config/hub.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('OK config/hub.yaml: 4 clusters in 3 accounts, 14 mappings');
  });

  it('a bad file exits 1 with located errors and no stack trace', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hub-e2e-')), 'hub.yaml');
    writeFileSync(file, 'apiVersion: eks-auth-hub/v1\nhub: {roleName: r}\nclusters:\n  - {name: c, account: "111122223333", region: eu-west-1, mapRoles: [{rolearn: "arn:aws:iam::111122223333:role/p/x", username: x}]}\n');
    const result = await run(process.execPath, [bin, 'validate', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `${file}:4:80: clusters[0].mapRoles[0].rolearn: a role ARN in aws-auth must not carry a path (the authenticator never matches it); write arn:aws:iam::111122223333:role/x\n${file}: 1 problem; nothing was changed\n`,
    );
  });

  it('an unreadable file exits 1 without a stack trace', async () => {
    const result = await run(process.execPath, [bin, 'validate', '--config', join(repo, 'no-such.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot read the desired-state file .*no-such\.yaml: no such file\n$/);
  });
});
