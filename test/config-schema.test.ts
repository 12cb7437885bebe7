/**
 * config/hub.schema.json is generated from the core's schema and must not go stale; the example file
 * must satisfy both the loader and an independent JSON Schema validator.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaText } from '@eks-auth-hub/controller';
import { loadDesiredState } from '@eks-auth-hub/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaFile = join(repo, 'config', 'hub.schema.json');
const exampleFile = join(repo, 'config', 'hub.yaml');

describe('config/hub.schema.json', () => {
  it('is up to date with the schema in packages/core (run `pnpm gen:schema` after changing it)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(schemaText());
  });

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
  const example = parse(readFileSync(exampleFile, 'utf8')) as Record<string, unknown>;

  it('accepts the example file, which the loader accepts too', () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(loadDesiredState(readFileSync(exampleFile, 'utf8'), 'config/hub.yaml').ok).toBe(true);
  });

  it('is referenced by the example through a yaml-language-server modeline', () => {
    expect(readFileSync(exampleFile, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./hub.schema.json');
  });

  const clusters = (cluster: Record<string, unknown>): Record<string, unknown> => ({
    ...example,
    clusters: [{ name: 'c', account: '111122223333', region: 'eu-west-1', ...cluster }],
  });
  it.each([
    ['an unknown key', clusters({ mapRoles: [{ permisionset: 'X', username: 'x' }] })],
    ['a rolearn with a path', clusters({ mapRoles: [{ rolearn: 'arn:aws:iam::111122223333:role/a/b', username: 'x' }] })],
    ['a numeric account', clusters({ account: 111122223333 })],
    ['a bad region', clusters({ region: 'europe' })],
    ['a long permission set name', clusters({ mapRoles: [{ permissionset: 'P'.repeat(33), username: 'x' }] })],
    ['a newline in a username', clusters({ mapRoles: [{ permissionset: 'P', username: 'a\nb' }] })],
    ['no clusters', { ...example, clusters: [] }],
    ['a wrong apiVersion', { ...example, apiVersion: 'v2' }],
  ])('rejects %s, as the loader does', (_name, document) => {
    expect(validate(document)).toBe(false);
    expect(loadDesiredState(JSON.stringify(document), 'doc.json').ok).toBe(false);
  });
});
