/**
 * The Lambda function's event: which part of the fleet one invocation covers, and whether it writes.
 *
 *   {}                                       every cluster (also any EventBridge event, e.g. a schedule
 *                                            without an Input)
 *   { "shard": "2/8" }                       the accounts of shard 2 of 8 (numbered from 1)
 *   { "accounts": ["111122223333", ...] }    these accounts (each must hold a cluster of the file)
 *   { ..., "dryRun": true }                  plan only
 *
 * Anything else is refused with the reason, before any pass.
 */
import { parseShard, type ClusterSelection } from '@eks-auth-hub/core';
import { z } from 'zod';

export interface HubEvent {
  readonly selection: ClusterSelection;
  readonly dryRun: boolean;
}

const FIELDS = ['shard', 'accounts', 'dryRun'] as const;

const eventSchema = z
  .object({
    shard: z.string({ error: 'a string such as "2/8"' }).optional(),
    accounts: z
      .array(z.string({ error: 'an account ID in quotes' }).regex(/^[0-9]{12}$/, 'an account ID is 12 digits in quotes, e.g. "111122223333"'), {
        error: 'a list of account IDs, e.g. ["111122223333"]',
      })
      .min(1, 'name at least one account')
      .optional(),
    dryRun: z.boolean({ error: 'true or false' }).optional(),
  })
  .strict();

/** An event EventBridge made itself (a schedule or a rule without an Input): a whole pass. */
function isEventBridgeEvent(event: object): boolean {
  return 'detail-type' in event && 'source' in event;
}

export class EventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventError';
  }
}

/** Reads an invocation's event, or throws an `EventError` naming every problem. */
export function parseHubEvent(event: unknown): HubEvent {
  if (event === undefined || event === null) return { selection: { kind: 'all' }, dryRun: false };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new EventError(`the event is ${Array.isArray(event) ? 'a list' : `a ${typeof event}`}; expected an object such as {}, {"shard": "2/8"} or {"accounts": ["111122223333"]}`);
  }
  if (isEventBridgeEvent(event)) return { selection: { kind: 'all' }, dryRun: false };
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${FIELDS.join(', ')})`;
      const path = issue.path.map(String).join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    });
    throw new EventError(problems.join('; '));
  }
  const { shard, accounts, dryRun } = parsed.data;
  if (shard !== undefined && accounts !== undefined) throw new EventError('give "shard" or "accounts", not both');
  let selection: ClusterSelection = { kind: 'all' };
  if (shard !== undefined) {
    const result = parseShard(shard);
    if (!result.ok) throw new EventError(`shard: ${result.message}`);
    selection = result.selection;
  } else if (accounts !== undefined) {
    selection = { kind: 'accounts', accounts };
  }
  return { selection, dryRun: dryRun === true };
}
