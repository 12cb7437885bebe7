/** The Lambda event: what each accepted form selects, and a located reason for every refused one. */
import { describe, expect, it } from 'vitest';
import { EventError, MAX_EVENT_MESSAGE, parseHubEvent } from '../src/lambda-event.js';

function refusal(event: unknown): Error {
  try {
    parseHubEvent(event);
  } catch (error) {
    expect(error).toBeInstanceOf(EventError);
    return error as Error;
  }
  throw new Error(`${JSON.stringify(event).slice(0, 100)} was accepted`);
}

describe('parseHubEvent', () => {
  it.each([
    [{}, { selection: { kind: 'all' }, dryRun: false }],
    [null, { selection: { kind: 'all' }, dryRun: false }],
    [{ dryRun: true }, { selection: { kind: 'all' }, dryRun: true }],
    [{ shard: '2/8' }, { selection: { kind: 'shard', index: 2, count: 8 }, dryRun: false }],
    [
      { shard: '1/1', dryRun: false },
      { selection: { kind: 'shard', index: 1, count: 1 }, dryRun: false },
    ],
    [
      { accounts: ['111122223333', '444455556666'], dryRun: true },
      { selection: { kind: 'accounts', accounts: ['111122223333', '444455556666'] }, dryRun: true },
    ],
    // EventBridge's own events (a schedule without an Input): a whole pass.
    [
      { version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} },
      { selection: { kind: 'all' }, dryRun: false },
    ],
    [
      {
        version: '0',
        id: 'x',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: '2026-01-01T00:00:00Z',
        region: 'eu-west-1',
        resources: ['arn:aws:events:eu-west-1:123456789012:rule/r'],
        detail: {},
      },
      { selection: { kind: 'all' }, dryRun: false },
    ],
    // The hub's fields beside EventBridge's are read, not skipped: a dry run stays a dry run.
    [
      { 'detail-type': 'x', source: 'y', dryRun: true, shard: '1/2' },
      { selection: { kind: 'shard', index: 1, count: 2 }, dryRun: true },
    ],
    // …and so are they in a custom event's detail.
    [
      { 'detail-type': 'x', source: 'y', detail: { dryRun: true, accounts: ['111122223333'] } },
      { selection: { kind: 'accounts', accounts: ['111122223333'] }, dryRun: true },
    ],
    [
      { 'detail-type': 'x', source: 'y', dryRun: true, detail: { dryRun: true } },
      { selection: { kind: 'all' }, dryRun: true },
    ],
    // The same account twice is one account.
    [
      { accounts: ['111122223333', '444455556666', '111122223333'] },
      { selection: { kind: 'accounts', accounts: ['111122223333', '444455556666'] }, dryRun: false },
    ],
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
    // An EventBridge event is validated like any other: here a shard that does not exist.
    [{ 'detail-type': 'x', source: 'y', dryRun: true, shard: '1/0' }, 'shard: shard 1/0: the number of shards is 1 to 1000'],
    [{ 'detail-type': 'x', source: 'y', dryRun: 'yes' }, 'dryRun: true or false'],
    [{ 'detail-type': 'x', source: 'y', dryrun: true }, 'unknown field "dryrun"'],
    [{ 'detail-type': 'x', source: 'y', detail: { dryrun: true } }, 'detail: unknown field "dryrun" (allowed: shard, accounts, dryRun)'],
    [{ 'detail-type': 'x', source: 'y', detail: { shard: 7 } }, 'detail.shard: a string such as "2/8"'],
    [{ 'detail-type': 'x', source: 'y', detail: 'run' }, "detail: an object with only the hub's fields"],
    [{ 'detail-type': 'x', source: 'y', dryRun: true, detail: { dryRun: false } }, '"dryRun" is given twice'],
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

  it('never echoes a huge field: the reason stays short', () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    for (const event of [
      { shard: huge },
      { [huge]: 1 },
      { accounts: [huge] },
      { 'detail-type': 'x', source: 'y', detail: { [huge]: true } },
      { accounts: Array.from({ length: 100_000 }, () => 'nope') },
    ]) {
      const message = refusal(event).message;
      expect(message.length).toBeLessThanOrEqual(MAX_EVENT_MESSAGE);
      expect(message).not.toContain('x'.repeat(100));
    }
    expect(refusal({ accounts: Array.from({ length: 100_000 }, () => 'nope') }).message).toMatch(/and 99995 more problems$/);
  });
});
