/**
 * tokenCredentials (`eks-auth-hub token`): the SDK's standard chain, or a role assumed with its
 * external ID, against the simulator; a refusal is the user's to fix (kind `user`), nothing else.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorldFile, type Simulator, startSimulator } from '@eks-auth-hub/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenCredentials } from '../src/token-credentials.js';
import { rejection } from './rejection.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SPOKE = 'arn:aws:iam::111122223333:role/eks-auth-hub-spoke';

let sim: Simulator;
const saved = { ...process.env };

beforeAll(async () => {
  const file = join(repo, 'config', 'sim', 'demo-world.yaml');
  const loaded = loadWorldFile(readFileSync(file, 'utf8'), file);
  if (!loaded.ok) throw new Error('demo world does not load');
  sim = await startSimulator({ world: loaded.world });
  for (const key of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) delete process.env[key];
  Object.assign(process.env, sim.env('eu-west-1'));
});
afterAll(async () => {
  process.env = saved;
  await sim.close();
});

describe('tokenCredentials', () => {
  it('without a role: the standard chain (here the environment), unchanged', async () => {
    const credentials = await tokenCredentials({ region: 'eu-west-1' });
    expect(credentials).toEqual({ accessKeyId: sim.world.hub.accessKeyId, secretAccessKey: sim.world.hub.secretAccessKey });
  });

  it('with a role and its external ID: that role session', async () => {
    const credentials = await tokenCredentials({ region: 'eu-west-1', roleArn: SPOKE, externalId: 'example-external-id' });
    expect(credentials.accessKeyId).toMatch(/^ASIA/);
    expect(credentials.sessionToken).toBeDefined();
  });

  it('a refused AssumeRole is the user’s error, naming the call and the role', async () => {
    const error = await rejection(tokenCredentials({ region: 'eu-west-1', roleArn: SPOKE, externalId: 'wrong' }));
    expect(error).toMatchObject({ kind: 'user' });
    expect(error.message).toContain(`sts:AssumeRole ${SPOKE}`);
  });
});
