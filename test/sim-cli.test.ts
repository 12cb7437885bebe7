/**
 * The simulator as a user starts it: `pnpm sim --world FILE` prints one JSON line with the hub
 * principal's environment first, and the real SDK works with exactly that environment.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type FirstLineChild, spawnFirstLine } from '@eks-auth-hub/testing';
import { afterEach, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];

afterEach(() => {
  // Each child leads its own process group: `pnpm sim` runs the simulator under a shell, and killing
  // only pnpm would leave that shell and the simulator running after the tests.
  for (const child of children.splice(0)) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
});

function start(command: string, args: string[]): FirstLineChild {
  const started = spawnFirstLine(command, args, { env: process.env, detached: true });
  children.push(started.child);
  return started;
}

describe('pnpm sim', () => {
  it('prints the env first and serves the real SDK with it', async () => {
    const { firstLine } = start('pnpm', ['sim', '--world', 'config/sim/demo-world.yaml']);
    const info = JSON.parse(await firstLine) as { env: Record<string, string> };
    expect(Object.keys(info.env).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL_EKS',
      'AWS_ENDPOINT_URL_IAM',
      'AWS_ENDPOINT_URL_STS',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
      'EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS',
    ]);
    expect(info.env['EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS']).toBe('127.0.0.1');
    // The AWS CLI v1 reads only AWS_DEFAULT_REGION; v2 and the SDKs read AWS_REGION.
    expect(info.env['AWS_DEFAULT_REGION']).toBe('eu-west-1');
    expect(info.env['AWS_DEFAULT_REGION']).toBe(info.env['AWS_REGION']);
    const env = info.env;
    const client = new STSClient({
      region: env['AWS_REGION'] ?? '',
      endpoint: env['AWS_ENDPOINT_URL_STS'] ?? '',
      credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '' },
      maxAttempts: 1,
    });
    const me = await client.send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe('arn:aws:iam::999988887777:user/eks-auth-hub');
  });

  it('stops cleanly on SIGTERM', async () => {
    const { child, firstLine } = start(process.execPath, ['packages/sim/dist/main.js', '--world', 'config/sim/demo-world.yaml']);
    await firstLine;
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('refuses a bad world file with located errors and exit 1', async () => {
    const { child, stderr } = start(process.execPath, ['packages/sim/dist/main.js', '--world', 'config/hub.yaml']);
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr()).toMatch(/^config\/hub\.yaml:9:13: apiVersion: expected "eks-auth-hub-sim\/v1"/m);
    expect(stderr()).not.toMatch(/\n\s+at /);
  });
});
