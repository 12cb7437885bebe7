/**
 * Shards and account selections: `i/n` parsing with the allowed form in every refusal, the stable
 * account → shard assignment, and generated fleets whose shards together hold every cluster exactly
 * once, each account whole.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDesiredState } from '../src/desired-state.js';
import { HubError } from '../src/errors.js';
import type { DesiredState } from '../src/model.js';
import { MAX_SHARDS, parseShard, selectClusters, selectionLabel, shardOfAccount } from '../src/shard.js';

/** A desired state with `accounts` × `perAccount` clusters (accounts given as 12-digit IDs). */
function fleet(accounts: readonly string[], perAccount: number): DesiredState {
  const lines = ['apiVersion: eks-auth-hub/v1', 'hub:', '  roleName: eks-auth-hub-spoke', 'clusters:'];
  for (const account of accounts) {
    for (let i = 0; i < perAccount; i++) lines.push(`  - { name: c${i}, account: "${account}", region: eu-west-1 }`);
  }
  return parseDesiredState(`${lines.join('\n')}\n`, 'fleet.yaml');
}

const accountId = fc.stringMatching(/^[0-9]{12}$/);

describe('parseShard', () => {
  it.each([
    ['1/1', 1, 1],
    ['2/8', 2, 8],
    ['8/8', 8, 8],
    ['02/8', 2, 8],
    [`${MAX_SHARDS}/${MAX_SHARDS}`, MAX_SHARDS, MAX_SHARDS],
  ])('%s is shard %i of %i', (text, index, count) => {
    expect(parseShard(text)).toEqual({ ok: true, selection: { kind: 'shard', index, count } });
  });

  it.each([
    ['0/8', /shards are numbered from 1, so the shards of 8 are 1\/8 … 8\/8/],
    ['9/8', /shard 9\/8 does not exist/],
    ['1/0', /the number of shards is 1 to 1000/],
    [`1/${MAX_SHARDS + 1}`, /the number of shards is 1 to 1000/],
    ['2', /is not i\/n: .* e\.g\. 2\/8/],
    ['2/8/1', /is not i\/n/],
    [' 2/8', /is not i\/n/],
    ['-1/8', /is not i\/n/],
    ['1.5/8', /is not i\/n/],
    ['two/eight', /is not i\/n/],
    ['', /is not i\/n/],
  ])('refuses %j and says what is allowed', (text, message) => {
    const result = parseShard(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe('shardOfAccount', () => {
  it('is the first 48 bits of the SHA-256 of the account ID, modulo n, plus one', () => {
    fc.assert(
      fc.property(accountId, fc.integer({ min: 1, max: MAX_SHARDS }), (account, count) => {
        const head = createHash('sha256').update(account).digest().readUIntBE(0, 6);
        expect(shardOfAccount(account, count)).toBe((head % count) + 1);
      }),
    );
  });

  it('never changes between releases (an account that moved would be reconciled twice or not at all during an upgrade)', () => {
    // Pinned: changing the assignment is a breaking change for fleets that run shards on a schedule.
    expect([4, 8, 16].map((n) => shardOfAccount('111122223333', n))).toEqual([1, 1, 1]);
    expect([4, 8, 16].map((n) => shardOfAccount('444455556666', n))).toEqual([4, 8, 16]);
  });

  it('refuses a count out of range', () => {
    expect(() => shardOfAccount('111122223333', 0)).toThrow(RangeError);
    expect(() => shardOfAccount('111122223333', MAX_SHARDS + 1)).toThrow(RangeError);
  });
});

describe('selectClusters', () => {
  it('the n shards of a generated fleet hold every cluster exactly once, each account whole, in file order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(accountId, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 12 }),
        (accounts, perAccount, count) => {
          const state = fleet(accounts, perAccount);
          const shards = Array.from({ length: count }, (_, i) => selectClusters(state, { kind: 'shard', index: i + 1, count }));
          const ids = shards.flatMap((s) => s.clusters.map((c) => c.id));
          expect(ids.sort()).toEqual(state.clusters.map((c) => c.id).sort());
          for (const [i, shard] of shards.entries()) {
            const order = shard.clusters.map((c) => state.clusters.indexOf(c));
            expect(order).toEqual([...order].sort((a, b) => a - b));
            for (const account of new Set(shard.clusters.map((c) => c.account))) {
              expect(shard.clusters.filter((c) => c.account === account)).toHaveLength(perAccount);
              expect(shardOfAccount(account, count)).toBe(i + 1);
            }
            expect(shard.hub).toBe(state.hub);
            expect(shard.hash).toBe(state.hash);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a fleet of many accounts spreads over every shard', () => {
    const accounts = Array.from({ length: 400 }, (_, i) => String(100000000000 + i * 7919));
    const state = fleet(accounts, 1);
    const sizes = Array.from({ length: 8 }, (_, i) => selectClusters(state, { kind: 'shard', index: i + 1, count: 8 }).clusters.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(400);
    // 50 expected per shard; a hash this skewed would mean the assignment is broken.
    for (const size of sizes) expect(size).toBeGreaterThan(20);
  });

  it('1/1 is the whole fleet; `all` is the state itself', () => {
    const state = fleet(['111122223333', '444455556666'], 2);
    expect(selectClusters(state, { kind: 'shard', index: 1, count: 1 }).clusters).toEqual(state.clusters);
    expect(selectClusters(state, { kind: 'all' })).toBe(state);
  });

  it('an account list selects those accounts, in file order', () => {
    const state = fleet(['111122223333', '444455556666', '555566667777'], 2);
    const selected = selectClusters(state, { kind: 'accounts', accounts: ['555566667777', '111122223333', '111122223333'] });
    expect(selected.clusters.map((c) => c.id)).toEqual([
      '111122223333/eu-west-1/c0',
      '111122223333/eu-west-1/c1',
      '555566667777/eu-west-1/c0',
      '555566667777/eu-west-1/c1',
    ]);
  });

  it.each([
    [[], 'selection.invalid', /the list of accounts is empty/],
    [['12345'], 'selection.invalid', /not an account ID: "12345" \(an account ID is 12 digits\)/],
    [
      ['999999999999'],
      'selection.unknown-account',
      /no cluster of fleet\.yaml is in account 999999999999; its accounts: 111122223333, 444455556666/,
    ],
  ])('refuses the account list %j as a user error', (accounts, code, message) => {
    const state = fleet(['111122223333', '444455556666'], 1);
    let caught: unknown;
    try {
      selectClusters(state, { kind: 'accounts', accounts });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HubError);
    expect(caught).toMatchObject({ kind: 'user', code });
    expect((caught as HubError).message).toMatch(message);
  });

  it('refuses a shard selection built without parseShard when it is out of range', () => {
    const state = fleet(['111122223333'], 1);
    expect(() => selectClusters(state, { kind: 'shard', index: 0, count: 4 })).toThrow(/shards are numbered from 1/);
  });
});

describe('selectionLabel', () => {
  it('names shards and account lists; the whole fleet has no label', () => {
    expect(selectionLabel({ kind: 'shard', index: 2, count: 8 })).toBe('2/8');
    expect(selectionLabel({ kind: 'accounts', accounts: ['111122223333', '444455556666'] })).toBe('accounts 111122223333,444455556666');
    expect(selectionLabel({ kind: 'all' })).toBeUndefined();
  });

  it('names a few of a long account list and counts them, whatever its length', () => {
    const accounts = Array.from({ length: 100_000 }, (_, i) => String(100_000_000_000 + i));
    const label = selectionLabel({ kind: 'accounts', accounts });
    expect(label).toBe('accounts 100000000000,100000000001,100000000002,… (100000 in all)');
  });
});
