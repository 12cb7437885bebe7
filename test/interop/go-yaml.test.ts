/**
 * kubectl as an independent check of go-yaml v2's resolver and of the hub's rendering: kubectl
 * decodes a manifest through k8s.io/apimachinery's YAML-to-JSON step (sigs.k8s.io/yaml, go-yaml v2),
 * the same call the authenticator reads `mapRoles` with. `kubectl label --local -f FILE -o json`
 * prints the decoded object without a server, so a list of plain scalars comes back as the JSON
 * values the authenticator would see.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Entry, type GoYamlScalar, renderAwsAuth, resolveGoYamlPlain } from '@eks-auth-hub/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GO_YAML_CASES } from '../../packages/core/test/go-yaml-cases.js';
import { parseOutput, run, tool } from './harness.js';

const decoded = z.object({ probe: z.unknown() });

/** kubectl's decoding of `probe:` followed by `body` (a YAML block at the top level of a ConfigMap manifest). */
async function kubectlDecodes(body: string): Promise<{ code: number | null; value: unknown; stderr: string }> {
  const home = mkdtempSync(join(tmpdir(), 'eks-auth-hub-interop-yaml-'));
  const file = join(home, 'probe.yaml');
  writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\nprobe:\n${body}`);
  const env = { HOME: home, KUBECONFIG: join(home, 'kubeconfig'), PATH: process.env['PATH'] ?? '' };
  const result = await run(tool('kubectl'), ['label', '--local', '-f', file, 'probe=1', '-o', 'json'], env);
  const value = result.code === 0 ? parseOutput(decoded, result.stdout, 'kubectl label --local -o json').probe : undefined;
  return { code: result.code, value, stderr: result.stderr };
}

const jsonable = GO_YAML_CASES.filter(
  ([text, tag, value]) => text !== '-' && !(tag === '!!float' && typeof value === 'number' && !Number.isFinite(value)),
);

describe("kubectl's decoding agrees with the go-yaml v2 resolver", () => {
  it(`decodes ${jsonable.length} plain scalars of the resolver's table to the types the table gives`, async () => {
    const { code, value, stderr } = await kubectlDecodes(jsonable.map(([text]) => `- ${text}\n`).join(''));
    expect(code, stderr).toBe(0);
    expect(Array.isArray(value)).toBe(true);
    const values = value as unknown[];
    expect(values).toHaveLength(jsonable.length);
    const mismatches = jsonable.flatMap(([text, tag, want], i) => {
      const got = values[i];
      const ok =
        tag === '!!str' || tag === '!!timestamp'
          ? got === text
          : tag === '!!null'
            ? got === null
            : tag === '!!bool'
              ? got === want
              : // JSON numbers: compared as doubles (kubectl's JSON holds up to 64-bit integers exactly; JSON.parse does not).
                typeof got === 'number' && (want === undefined || got === Number(want));
      return ok
        ? []
        : [`${JSON.stringify(text)}: table ${tag}${want === undefined ? '' : ` ${String(want)}`}, kubectl ${JSON.stringify(got)}`];
    });
    expect(mismatches).toEqual([]);
  });

  it('agrees on thousands of generated number-like scalars (seeded)', async () => {
    const digits = fc.stringMatching(/^[0-9a-fA-F_]{0,22}$/);
    const numberLike = fc
      .tuple(
        fc.constantFrom('', '+', '-'),
        fc.constantFrom('', '0', '0x', '0X', '0o', '0O', '0b', '0B', '1', '9', '.', '_'),
        digits,
        fc.constantFrom('', '.', '.5', '._5', '.0_1'),
        fc.constantFrom('', 'e3', 'E-2', 'e+1_0', 'e', 'e400', 'E-400'),
      )
      .map((parts) => parts.join(''));
    const dates = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.constantFrom('', 'T12:30:45Z', ' 1:2:3', 't1:02:03.5+01:00', 'T25:00:00Z', 'T1:2:3'),
      )
      .map(([y, m, d, t]) => `${String(y).padStart(4, '0')}-${m}-${d}${t}`);
    const chars = fc.stringMatching(/^[0-9+\-._oOxXbBeEaAfF:tTyYnN~]{1,12}$/);
    const texts = [...new Set(fc.sample(fc.oneof(numberLike, dates, chars), { seed: 14, numRuns: 4000 }))]
      .filter(
        // Plain scalars a block sequence item can hold as they are.
        (t) =>
          t !== '' && t !== '-' && !t.endsWith(':') && !/^-[:]/.test(t) && !/^[?:]$/.test(t) && !(t.includes(' ') && /^[-?:] /.test(t)),
      )
      .filter((t) => {
        // NaN and ±Inf make kubectl refuse the whole document (checked on their own below).
        const r = resolveGoYamlPlain(t);
        return r.tag !== '!!float' || Number.isFinite(r.value);
      });
    const { code, value, stderr } = await kubectlDecodes(texts.map((t) => `- ${t}\n`).join(''));
    expect(code, stderr).toBe(0);
    const values = value as unknown[];
    expect(values).toHaveLength(texts.length);
    const agrees = (r: GoYamlScalar, text: string, got: unknown): boolean =>
      r.tag === '!!str' || r.tag === '!!timestamp'
        ? got === text
        : r.tag === '!!null'
          ? got === null
          : r.tag === '!!bool'
            ? got === r.value
            : typeof got === 'number' && got === Number(r.value);
    const mismatches = texts.flatMap((text, i) => {
      const r = resolveGoYamlPlain(text);
      return agrees(r, text, values[i])
        ? []
        : [`${JSON.stringify(text)}: resolver ${r.tag}${'value' in r ? ` ${String(r.value)}` : ''}, kubectl ${JSON.stringify(values[i])}`];
    });
    expect(texts.length).toBeGreaterThan(2000);
    expect(mismatches).toEqual([]);
  });

  it.each(['.inf', '-.Inf', '.NaN'])('refuses %s as JSON can carry no such float (the authenticator drops the whole key)', async (text) => {
    const { code, stderr } = await kubectlDecodes(`- ${text}\n`);
    expect(code).toBe(1);
    expect(stderr).toContain('unsupported value');
  });
});

describe("kubectl reads the hub's rendering back as the same strings", () => {
  it('the reproduction: username 0o17, groups 0X1F, 0B101, +0O7 and their neighbours', async () => {
    const values = [
      '0o17',
      '0O17',
      '0X1F',
      '0B101',
      '+0O7',
      '-0o7',
      '09',
      '0x_1F',
      '.5_0',
      '1_000',
      'yes',
      'on',
      'null',
      '~',
      'true',
      '0x1F',
      '1e3',
      '2001-01-01',
      '1:20',
      'plain',
    ];
    const entries: Entry[] = values.map((v, i) => ({
      kind: 'role',
      rolearn: `arn:aws:iam::111122223333:role/r${i}`,
      username: v,
      groups: [v, 'system:masters'],
    }));
    const mapRoles = renderAwsAuth(entries).mapRoles ?? '';
    const { code, value, stderr } = await kubectlDecodes(mapRoles);
    expect(code, stderr).toBe(0);
    expect(value).toEqual(
      entries.map((e) => (e.kind === 'role' ? { rolearn: e.rolearn, username: e.username, groups: [...e.groups] } : {})),
    );
  });
});
