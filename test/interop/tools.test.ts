/**
 * The CLIs the suite runs are installed, and which versions they are (printed for the CI log).
 * A missing one fails here with the install instructions, as it does in every other test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseOutput, run, runOk, tool } from './harness.js';

const home = mkdtempSync(join(tmpdir(), 'eks-auth-hub-interop-tools-'));
const env = { PATH: process.env['PATH'] ?? '', HOME: home, KUBECONFIG: join(home, 'kubeconfig'), AWS_PAGER: '' };

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('interop tools', () => {
  it('aws is installed', async () => {
    const aws = tool('aws');
    // awscli v1 on Python < 3.4 printed its version on stderr: read both
    const { code, stdout, stderr } = await run(aws, ['--version'], env);
    expect(code, stderr).toBe(0);
    const result = `${stdout}${stderr}`;
    const version = /aws-cli\/(\d+)\.(\d+)\.(\d+)/.exec(result);
    expect(version, `${aws} --version printed: ${result}`).not.toBeNull();
    process.stdout.write(`interop: ${aws}: ${result.trim()}\n`);
  });

  it('kubectl is installed', async () => {
    const kubectl = tool('kubectl');
    const stdout = await runOk(kubectl, ['version', '--client', '--output', 'json'], env);
    const { clientVersion } = parseOutput(
      z.object({ clientVersion: z.object({ gitVersion: z.string(), major: z.string(), minor: z.string() }) }),
      stdout,
      'kubectl version',
    );
    expect(clientVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    process.stdout.write(`interop: ${kubectl}: ${clientVersion.gitVersion}\n`);
  });
});
