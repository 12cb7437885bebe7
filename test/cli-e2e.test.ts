/**
 * The CLI as a user starts it: the built program through `pnpm hub`, from the repository root.
 * Needs `pnpm build` first (the test command does it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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
    // Killed after 20 s: a program that never ends fails the test instead of hanging it.
    const { stdout, stderr } = await exec(command, args, {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 20_000,
      maxBuffer: 1024 * 1024,
    });
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
    writeFileSync(
      file,
      'apiVersion: eks-auth-hub/v1\nhub: {roleName: r}\nclusters:\n  - {name: c, account: "111122223333", region: eu-west-1, mapRoles: [{rolearn: "arn:aws:iam::111122223333:role/p/x", username: x}]}\n',
    );
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

  describe('a name that is not a regular file is refused by name, before it is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-e2e-special-'));
    it.each([
      ['/dev/zero', () => '/dev/zero', 'it is a character device, not a regular file'],
      [
        'a FIFO nobody writes to',
        () => {
          const fifo = join(dir, 'hub.fifo');
          execFileSync('mkfifo', [fifo]);
          return fifo;
        },
        'it is a named pipe (FIFO), not a regular file',
      ],
      [
        'a directory',
        () => {
          const sub = join(dir, 'hub.d');
          mkdirSync(sub);
          return sub;
        },
        'it is a directory, not a regular file',
      ],
    ])('%s: exit 1 with the reason', async (_what, make, reason) => {
      const file = make();
      const result = await run(process.execPath, [bin, 'validate', '--config', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: cannot read the desired-state file ${file}: ${reason}\n`);
    });

    it('a file over the limit is refused with its size', async () => {
      const file = join(dir, 'big.yaml');
      writeFileSync(file, `# ${'x'.repeat(3 * 1024 * 1024)}\n`);
      const result = await run(process.execPath, [bin, 'validate', '--config', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `${file}:1:1: the file is ${3 * 1024 * 1024 + 3} bytes; a desired-state file may hold at most 1048576 bytes\n${file}: 1 problem; nothing was changed\n`,
      );
    });
  });
});
