/** The cluster log line carries an unresolved permission set's near misses, and nothing extra without them. */
import { Writable } from 'node:stream';
import type { ClusterResult } from '@eks-auth-hub/core';
import { describe, expect, it } from 'vitest';
import { createLogger, logCluster } from '../src/logging.js';

function lineOf(result: ClusterResult): Record<string, unknown> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  logCluster(createLogger({ level: 'info', destination }), result, 'p1');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

const base: ClusterResult = {
  clusterId: '111122223333/eu-west-1/prod',
  name: 'prod',
  account: '111122223333',
  region: 'eu-west-1',
  outcome: 'unchanged',
  changes: { added: [], removed: [], changed: [] },
  resolutions: [],
  unresolved: [],
  ambiguous: [],
  refusals: [],
  warnings: [],
  created: false,
  drift: false,
  attempts: 1,
  durationMs: 3,
};

describe('cluster log line', () => {
  it('names what an unresolved permission set probably meant', () => {
    const line = lineOf({
      ...base,
      resolutions: [
        { status: 'unresolved', permissionSet: 'readonly', didYouMean: ['ReadOnly'] },
        { status: 'unresolved', permissionSet: 'Nothing' },
      ],
      unresolved: ['readonly', 'Nothing'],
    });
    expect(line).toMatchObject({ msg: 'cluster reconciled', unresolved: ['readonly', 'Nothing'], didYouMean: { readonly: ['ReadOnly'] } });
  });

  it('has no didYouMean field when there is nothing to suggest', () => {
    expect(
      lineOf({ ...base, resolutions: [{ status: 'unresolved', permissionSet: 'Nothing' }], unresolved: ['Nothing'] }),
    ).not.toHaveProperty('didYouMean');
  });
});
