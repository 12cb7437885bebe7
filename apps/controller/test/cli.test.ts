import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, schemaText } from '../src/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hub-cli-')), name);
  writeFileSync(file, text);
  return file;
}

describe('validate', () => {
  it('summarises a valid file on one line and exits 0', async () => {
    const result = await run('validate', '--config', join(repo, 'config', 'hub.yaml'));
    expect(result).toEqual({
      code: 0,
      out: `OK ${join(repo, 'config', 'hub.yaml')}: 4 clusters in 3 accounts, 14 mappings (7 by permission set, 5 distinct permission sets)`,
      err: '',
    });
  });

  it('prints every located problem and exits 1', async () => {
    const file = tempFile(
      'bad.yaml',
      'apiVersion: eks-auth-hub/v1\nhub:\n  roleName: r\n  interval: soon\nclusters:\n  - name: c\n    account: 1\n    region: eu-west-1\n',
    );
    const result = await run('validate', '--config', file);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err.split('\n')).toEqual([
      `${file}:4:13: hub.interval: expected a duration such as "30s", "10m" or "1h30m"; got "soon"`,
      `${file}:7:14: clusters[0].account: expected a 12-digit AWS account ID in quotes, e.g. "111122223333"; got the number 1 (quote account IDs: YAML drops leading zeros of numbers)`,
      `${file}: 2 problems; nothing was changed`,
    ]);
  });

  it('says plainly when the file cannot be read', async () => {
    const result = await run('validate', '--config', '/nonexistent/hub.yaml');
    expect(result.code).toBe(1);
    expect(result.err).toBe('error: cannot read the desired-state file /nonexistent/hub.yaml: no such file');
  });

  it.each([
    [['validate'], 'validate needs --config FILE'],
    [['validate', '--config'], "Option '-c, --config <value>' argument missing"],
    [['validate', '--cluster', 'x'], "Unknown option '--cluster'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['run', '--config', 'hub.yaml', '--shard', '9/8'], '--shard: shard 9/8 does not exist'],
    [['run', '--config', 'hub.yaml', '--shard', 'two'], '--shard: shard "two" is not i/n'],
  ])('refuses %j with usage', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(1);
    expect(result.err).toContain(message);
    expect(result.err).toContain('Usage: eks-auth-hub');
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('prints help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    expect(result.out).toContain('validate --config FILE');
  });
});

describe('schema', () => {
  it('prints the JSON Schema', async () => {
    const result = await run('schema');
    expect(result.code).toBe(0);
    expect(`${result.out}\n`).toBe(schemaText());
  });

  it('writes it to a file', async () => {
    const file = tempFile('schema.json', '');
    const result = await run('schema', '--out', file);
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(schemaText());
  });
});

describe('plan and apply --shard', () => {
  const hub = join(repo, 'config', 'hub.yaml');

  it.each([
    [
      ['plan', '--config', hub, '--shard', '0/4'],
      '--shard: shard 0/4 does not exist: shards are numbered from 1, so the shards of 4 are 1/4 … 4/4',
    ],
    [['apply', '--config', hub, '--shard', '5/4'], '--shard: shard 5/4 does not exist'],
    [['plan', '--config', hub, '--shard', '1/0'], '--shard: shard 1/0: the number of shards is 1 to 1000'],
    [['plan', '--config', hub, '--shard', 'all'], '--shard: shard "all" is not i/n'],
    [['plan', '--config', hub, '--shard', '1/2', '--cluster', 'analytics'], '--shard and --cluster do not go together'],
  ])('refuses %j before any network call, with usage', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toContain(`error: ${message}`);
    expect(result.err).toContain('Usage: eks-auth-hub');
  });

  it('is in the help', async () => {
    const result = await run('--help');
    expect(result.out).toContain('plan --config FILE [--cluster NAME... | --shard I/N]');
    expect(result.out).toContain('--shard 2/8: only the accounts of shard 2 of 8 (numbered from 1)');
  });
});
