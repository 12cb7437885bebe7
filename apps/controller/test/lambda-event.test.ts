/** The Lambda event: what each accepted form selects, and a located reason for every refused one. */
import { describe, expect, it } from 'vitest';
import { EventError, parseHubEvent } from '../src/lambda-event.js';

describe('parseHubEvent', () => {
  it.each([
    [{}, { selection: { kind: 'all' }, dryRun: false }],
    [null, { selection: { kind: 'all' }, dryRun: false }],
    [{ dryRun: true }, { selection: { kind: 'all' }, dryRun: true }],
    [{ shard: '2/8' }, { selection: { kind: 'shard', index: 2, count: 8 }, dryRun: false }],
    [{ shard: '1/1', dryRun: false }, { selection: { kind: 'shard', index: 1, count: 1 }, dryRun: false }],
    [{ accounts: ['111122223333', '444455556666'], dryRun: true }, { selection: { kind: 'accounts', accounts: ['111122223333', '444455556666'] }, dryRun: true }],
    // EventBridge's own events (a schedule without an Input): a whole pass.
    [{ version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, { selection: { kind: 'all' }, dryRun: false }],
  ])('%j', (event, expected) => {
    expect(parseHubEvent(event)).toEqual(expected);
  });

  it.each([
    [{ shard: '0/8' }, 'shard: shard 0/8 does not exist: shards are numbered from 1, so the shards of 8 are 1/8 … 8/8'],
    [{ shard: '9/8' }, 'shard: shard 9/8 does not exist'],
    [{ shard: 'half' }, 'shard: shard "half" is not i/n'],
    [{ shard: 2 }, 'shard: a string such as "2/8"'],
    [{ shards: '2/8' }, 'unknown field "shards" (allowed: shard, accounts, dryRun)'],
    [{ accounts: [] }, 'accounts: name at least one account'],
    [{ accounts: ['1111-2222-3333'] }, 'accounts.0: an account ID is 12 digits in quotes, e.g. "111122223333"'],
    [{ accounts: [111122223333] }, 'accounts.0: an account ID in quotes'],
    [{ accounts: '111122223333' }, 'accounts: a list of account IDs, e.g. ["111122223333"]'],
    [{ dryRun: 'yes' }, 'dryRun: true or false'],
    [{ shard: '1/2', accounts: ['111122223333'] }, 'give "shard" or "accounts", not both'],
    ['2/8', 'the event is a string; expected an object such as {}, {"shard": "2/8"} or {"accounts": ["111122223333"]}'],
    [[{ shard: '1/2' }], 'the event is a list'],
  ])('refuses %j: %s', (event, message) => {
    let caught: unknown;
    try {
      parseHubEvent(event);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventError);
    expect((caught as Error).message).toContain(message);
  });
});
