/**
 * The large hostile files of the corpus, written at test time instead of being committed: files over
 * the size limit, files just under it, deep nesting and floods of problems. Each is listed in
 * cases.yaml with `generated: true`, like the committed files.
 *
 * To look at them: `npx tsx test/bad-inputs/generate.ts /tmp/bad-inputs`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_FILE_BYTES } from '@eks-auth-hub/core';

const HEAD = 'apiVersion: eks-auth-hub/v1\nhub:\n  roleName: eks-auth-hub-spoke\n';

function cluster(i: number, account = '"111122223333"'): string {
  return `  - name: cluster-${i}\n    account: ${account}\n    region: eu-west-1\n    mapRoles:\n      - permissionset: AdministratorAccess\n        username: "admin:{{SessionName}}"\n        groups: [system:masters]\n`;
}

/** `unit` repeated to `bytes` bytes (ASCII), after `head`. */
function filled(head: string, unit: string, bytes: number): string {
  const room = bytes - head.length;
  return head + unit.repeat(Math.floor(room / unit.length)) + unit.slice(0, room % unit.length);
}

/** Clusters after HEAD until the file is about `bytes` long. */
function clusters(bytes: number, last: (i: number) => string): string {
  const parts = [HEAD, 'clusters:\n'];
  let size = HEAD.length + 10;
  let i = 0;
  for (;;) {
    const next = cluster(i);
    if (size + next.length * 2 > bytes) break;
    parts.push(next);
    size += next.length;
    i += 1;
  }
  parts.push(last(i));
  return parts.join('');
}

/** File name → content of every generated case. */
export const GENERATED: Readonly<Record<string, () => string>> = {
  'over-limit-by-one-byte.yaml': () => filled(`${HEAD}clusters:\n${cluster(0)}# `, 'x', MAX_FILE_BYTES + 1),
  'huge-5mb.yaml': () => clusters(5 * 1024 * 1024, cluster),
  'huge-40mb-comment.yaml': () => filled(`${HEAD}clusters:\n${cluster(0)}`, '# padding padding padding padding padding padding padding padding\n', 40 * 1024 * 1024),
  'huge-scalar-near-limit.yaml': () => `${HEAD.replace('eks-auth-hub-spoke', 'r'.repeat(MAX_FILE_BYTES - 1024))}clusters:\n${cluster(0)}`,
  'near-limit-many-clusters.yaml': () => clusters(MAX_FILE_BYTES - 1024, (i) => cluster(i, '"11112222333"')),
  'many-problems.yaml': () => clusters(MAX_FILE_BYTES - 16 * 1024, (i) => cluster(i, '"x"')).replaceAll('"111122223333"', '"1111-2222-3333"'),
  'many-yaml-errors.yaml': () => filled(HEAD, 'clusters: [name: {{SessionName}}\n', 256 * 1024),
  'deep-flow-lists-10k.yaml': () => `${HEAD}clusters: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
  'deep-flow-unclosed-near-limit.yaml': () => filled(`${HEAD}clusters: `, '[', MAX_FILE_BYTES),
  'deep-flow-mappings-5k.yaml': () => `${HEAD}clusters:\n  - ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`,
  'deep-indented-mappings.yaml': () =>
    `${HEAD}clusters:\n  - name: payments-prod\n${Array.from({ length: 300 }, (_, i) => `${' '.repeat(4 + i)}level${i}:`).join('\n')} x\n`,
};

/** Writes every generated case into `dir`; returns their paths by name. */
export function writeGenerated(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const paths: Record<string, string> = {};
  for (const [name, make] of Object.entries(GENERATED)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], make());
  }
  return paths;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: npx tsx test/bad-inputs/generate.ts DIR\n');
    process.exitCode = 1;
  } else {
    for (const path of Object.values(writeGenerated(dir))) process.stdout.write(`${path}\n`);
  }
}
