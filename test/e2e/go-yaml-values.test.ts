/**
 * Strings the authenticator's YAML reader (go-yaml v2) would read as numbers, end to end through the
 * built CLI: a mapping with `username: "0o17"` and groups `0X1F`, `0B101`, `+0O7` (strings in the
 * file) is written quoted, so the simulator's authenticator maps the role to exactly those strings;
 * `plan` then finds nothing to do. An aws-auth written earlier with the same values unquoted (what
 * the hub used to write) is read as the authenticator reads it — empty username and groups — and the
 * next pass rewrites it, reported as a change and as drift.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassReport } from '@eks-auth-hub/core';
import { AwsAuthReader, mapIdentity, type WorldFile } from '@eks-auth-hub/sim';
import { describe, expect, it } from 'vitest';
import { type CliRun, demoHubFile, demoWorld, runCli, useSimulator } from './helpers.js';

const ACCOUNT = '111122223333';
const OCTAL = `arn:aws:iam::${ACCOUNT}:role/octal`;
const prod = { account: ACCOUNT, region: 'eu-west-1', cluster: 'payments-prod' };

function world(): WorldFile {
  const w = demoWorld();
  return {
    ...w,
    accounts: w.accounts.map((a) =>
      a.id !== ACCOUNT ? a : { ...a, roles: [...a.roles, { name: 'octal', path: '/', trust: [], maxSessionDurationSeconds: 3600 }] },
    ),
  };
}

/** The demo file with the reproduction's mapping added to payments-prod. */
function hubFile(): string {
  const text = readFileSync(demoHubFile, 'utf8');
  const anchor = '    mapRoles:\n      - permissionset: ReadOnly\n        username: "ro:{{SessionName}}"\n        groups: [viewers]\n';
  expect(text).toContain(anchor);
  const added = `      - rolearn: ${OCTAL}\n        username: "0o17"\n        groups: ["0X1F", "0B101", "+0O7"]\n`;
  const file = join(mkdtempSync(join(tmpdir(), 'eks-auth-hub-go-yaml-')), 'hub.yaml');
  writeFileSync(file, text.replace(anchor, `${anchor}${added}`));
  return file;
}

const h = useSimulator(world);
const show = (run: CliRun): string => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

/** What the simulator's authenticator maps the octal role to in payments-prod's live aws-auth. */
function authenticatorSees(): unknown {
  const cluster = h.sim.world.cluster(prod.account, prod.region, prod.cluster);
  return mapIdentity(
    cluster,
    { arn: OCTAL, account: ACCOUNT, userId: 'AROAOCTAL:s', accessKeyId: 'ASIA', sessionName: 's' },
    new AwsAuthReader(),
  );
}

describe('values go-yaml v2 reads as numbers', { timeout: 60_000 }, () => {
  const file = hubFile();
  const cli = (...args: string[]): Promise<CliRun> => runCli([...args, '--config', file, '--cluster', 'payments-prod'], h.sim.env());

  it('apply writes them quoted, the authenticator maps the role to those strings, and plan is then unchanged', async () => {
    const apply = await cli('apply');
    expect(apply.code, show(apply)).toBe(0);
    const text = h.sim.control.readAwsAuth(prod)?.data['mapRoles'] ?? '';
    expect(text).toContain(`- rolearn: ${OCTAL}\n  username: "0o17"\n  groups:\n    - "0X1F"\n    - "0B101"\n    - "+0O7"\n`);
    expect(authenticatorSees()).toEqual({ username: '0o17', groups: ['0X1F', '0B101', '+0O7'] });

    const plan = await cli('plan');
    expect(plan.code, show(plan)).toBe(0);
    expect(plan.stdout).toMatch(/^payments-prod {2}\(111122223333, eu-west-1\): unchanged$/m);
  });

  it('an aws-auth written earlier with them unquoted is read as the authenticator sees it and rewritten as a change', async () => {
    const live = h.sim.control.readAwsAuth(prod);
    const unquoted = (live?.data['mapRoles'] ?? '').replace(/"(0o17|0X1F|0B101|\+0O7)"/g, '$1');
    expect(unquoted).toContain('  username: 0o17\n');
    h.sim.control.editAwsAuth(prod, { ...live?.data, mapRoles: unquoted });
    // The authenticator loses the username and the groups.
    expect(authenticatorSees()).toEqual({ username: '', groups: ['', '', ''] });

    const plan = await cli('plan');
    expect(plan.code, show(plan)).toBe(2);
    expect(plan.stdout).toContain(`  ~ ${OCTAL}   [, , ] → 0o17 [0X1F, 0B101, +0O7]`);
    expect(plan.stdout).toContain('username 0o17 is not a string to the authenticator: unquoted, it reads as the integer 15');

    const apply = await cli('apply', '--output', 'json');
    expect(apply.code, show(apply)).toBe(0);
    const result = (JSON.parse(apply.stdout) as PassReport).clusters[0];
    expect(result).toMatchObject({ name: 'payments-prod', outcome: 'applied', drift: true });
    expect(result?.changes.changed.map((c) => c.after)).toEqual([
      { kind: 'role', rolearn: OCTAL, username: '0o17', groups: ['0X1F', '0B101', '+0O7'] },
    ]);
    expect(authenticatorSees()).toEqual({ username: '0o17', groups: ['0X1F', '0B101', '+0O7'] });
  });
});
