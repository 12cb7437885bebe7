/**
 * A new user's first step with the simulator: take the environment it prints, exactly, and call
 * `aws sts get-caller-identity` with nothing else set (no region flag, no endpoint flag, no config
 * files). The AWS CLI v1 reads only AWS_DEFAULT_REGION (v2 reads AWS_REGION too), so the printed
 * environment must carry both for either version to work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimulatorProcess, startSimulatorProcess, stopChild } from '@eks-auth-hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseOutput, repo, runOk, tool } from './harness.js';

let sim: SimulatorProcess;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'printed-env-'));
  sim = await startSimulatorProcess(process.execPath, [join(repo, 'packages/sim/dist/main.js'), '--world', 'config/sim/demo-world.yaml'], {
    cwd: repo,
    env: { PATH: process.env['PATH'] ?? '' },
  });
});

afterAll(async () => {
  if (sim !== undefined) await stopChild(sim.child);
  rmSync(home, { recursive: true, force: true });
});

describe('the environment the simulator prints', () => {
  it('is all the AWS CLI needs: get-caller-identity answers as the management principal', async () => {
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      ...sim.env,
    };
    const out = await runOk(tool('aws'), ['sts', 'get-caller-identity', '--output', 'json'], env);
    const identity = parseOutput(z.object({ Account: z.string(), Arn: z.string() }), out, 'get-caller-identity');
    expect(identity.Arn).toMatch(/^arn:aws:iam::[0-9]{12}:user\//);
  });
});
