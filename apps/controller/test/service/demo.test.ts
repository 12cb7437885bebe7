/**
 * `pnpm demo --once` as a newcomer runs it (a child process from the repository root, after
 * `pnpm build`): the plan, the apply, a reassigned ReadOnly permission set and the repair pass
 * that applies payments-prod only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Exited, repoRoot as repo, runToEnd } from '@eks-auth-hub/testing';
import { beforeAll, describe, expect, it } from 'vitest';

const CLUSTERS = ['payments-prod', 'payments-staging', 'analytics', 'ml-training', 'platform-tools'];
const ROLE = (name: string): string => `arn:aws:iam::111122223333:role/${name}`;

let run: Exited;
let sections: Map<string, string>;

/** The demo's output split at its `== heading` lines: heading → the text below it. */
function splitSections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^== (.+)$/m);
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i] ?? '', parts[i + 1] ?? '');
  return out;
}

function section(prefix: string): string {
  const found = [...sections.entries()].filter(([heading]) => heading.startsWith(prefix));
  expect(
    found.map(([heading]) => heading),
    `sections starting with "${prefix}"`,
  ).toHaveLength(1);
  return found[0]?.[1] ?? '';
}

/** The headline of each cluster in a report: name → what happened. */
function headlines(report: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of report.matchAll(/^(\S+) {2}\(([0-9]{12}), ([a-z0-9-]+)\): (.+)$/gm)) out[m[1] ?? ''] = m[4] ?? '';
  return out;
}

beforeAll(async () => {
  expect(existsSync(join(repo, 'apps', 'demo', 'dist', 'main.js')), 'run `pnpm build` first').toBe(true);
  run = await runToEnd('pnpm', ['demo', '--once'], {}, 60_000);
  sections = splitSections(run.stdout);
}, 70_000);

describe('pnpm demo --once', () => {
  it('exits 0 and says it finished, with nothing on stderr that looks like a failure', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().endsWith('Demo finished (--once).')).toBe(true);
    expect(run.stderr).not.toMatch(/demo failed|internal error|^\s+at /m);
  });

  it('shows the plan: every cluster with changes pending, nothing written', () => {
    const plan = section('plan:');
    expect(Object.keys(headlines(plan))).toEqual(CLUSTERS);
    for (const [name, headline] of Object.entries(headlines(plan))) expect(headline, name).toMatch(/^[0-9]+ changes? pending$/);
    expect(plan).toMatch(/^5 clusters: 5 with changes pending, 0 unchanged, 0 blocked, 0 failed \(pass demo-plan, [0-9]+ ms\)$/m);
  });

  it('shows the apply: every cluster applied, analytics created', () => {
    const apply = section('apply:');
    const lines = headlines(apply);
    expect(Object.keys(lines)).toEqual(CLUSTERS);
    expect(lines['analytics']).toMatch(/^created aws-auth with [0-9]+ changes?$/);
    for (const name of CLUSTERS.filter((n) => n !== 'analytics')) expect(lines[name], name).toMatch(/^applied [0-9]+ changes?$/);
    expect(apply).toMatch(/^5 clusters: 5 applied, 0 unchanged, 0 blocked, 0 failed \(pass demo-apply, [0-9]+ ms\)$/m);
  });

  it('reassigns ReadOnly in 111122223333 (a new suffix), then repairs payments-prod only; the others are unchanged', () => {
    const reassigned = section('Identity Center re-assigns the permission set ReadOnly in account 111122223333');
    const oldRole =
      /old role: arn:aws:iam::111122223333:role\/aws-reserved\/sso\.amazonaws\.com\/eu-west-1\/(AWSReservedSSO_ReadOnly_[0-9a-f]{16})$/m.exec(
        reassigned,
      )?.[1];
    const newRole =
      /new role: arn:aws:iam::111122223333:role\/aws-reserved\/sso\.amazonaws\.com\/eu-west-1\/(AWSReservedSSO_ReadOnly_[0-9a-f]{16})$/m.exec(
        reassigned,
      )?.[1];
    expect(oldRole, reassigned).toBeDefined();
    expect(newRole, reassigned).toBeDefined();
    expect(newRole).not.toBe(oldRole);
    // The old role is the one the apply had written (without its path).
    expect(section('apply:')).toContain(`+ ${ROLE(oldRole ?? '')}  ro:{{SessionName}} [viewers]  (permission set ReadOnly)`);

    const repair = section('the next pass repairs exactly the affected cluster');
    expect(headlines(repair)).toEqual({
      'payments-prod': 'applied 1 change',
      'payments-staging': 'unchanged',
      analytics: 'unchanged',
      'ml-training': 'unchanged',
      'platform-tools': 'unchanged',
    });
    expect(repair).toContain(
      `  ~ ${ROLE(oldRole ?? '')} → ${ROLE(newRole ?? '')}  ro:{{SessionName}} [viewers]  (permission set ReadOnly)`,
    );
    expect(repair).not.toMatch(/^ {2}[+-] /m);
    expect(repair).toMatch(/^5 clusters: 1 applied, 4 unchanged, 0 blocked, 0 failed \(pass demo-repair, [0-9]+ ms\)$/m);
  });
});
