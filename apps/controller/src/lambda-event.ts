/**
 * The Lambda function's event: which part of the fleet one invocation covers, and whether it writes.
 *
 *   {}                                       every cluster (also any EventBridge event, e.g. a schedule
 *                                            without an Input)
 *   { "shard": "2/8" }                       the accounts of shard 2 of 8 (numbered from 1)
 *   { "accounts": ["111122223333", ...] }    these accounts (each must hold a cluster of the file)
 *   { ..., "dryRun": true }                  plan only
 *
 * An event EventBridge made (it has `detail-type` and `source`) may carry EventBridge's own fields
 * (version, id, account, time, region, resources, detail); they are allowed and ignored, but the
 * hub's fields are validated wherever they appear: beside them, or in `detail` (a custom event put on
 * a bus). A `detail` that holds anything but the hub's fields is refused: it was meant for someone
 * else, and a typo such as `dryrun` must never become a writing pass. When both places name a field
 * they must agree.
 *
 * Anything else is refused with the reason, before any pass. Reasons are bounded: a megabyte field
 * is named, not echoed.
 */
import { type ClusterSelection, clip, escapeInvisible, parseShard } from '@eks-auth-hub/core';
import { z } from 'zod';

export interface HubEvent {
  readonly selection: ClusterSelection;
  readonly dryRun: boolean;
}

const FIELDS = ['shard', 'accounts', 'dryRun'] as const;

/** The fields of an event EventBridge made itself; allowed beside the hub's and ignored. */
const EVENTBRIDGE_FIELDS = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'] as const;

/** Longest field name or value shown in a reason. */
const MAX_ECHO = 60;
/** Most problems listed; the rest are counted. */
const MAX_PROBLEMS = 5;
/** Longest reason in all. */
export const MAX_EVENT_MESSAGE = 1_000;

const hubFields = {
  shard: z.string({ error: 'a string such as "2/8"' }).optional(),
  accounts: z
    .array(
      z.string({ error: 'an account ID in quotes' }).regex(/^[0-9]{12}$/, 'an account ID is 12 digits in quotes, e.g. "111122223333"'),
      {
        error: 'a list of account IDs, e.g. ["111122223333"]',
      },
    )
    .min(1, 'name at least one account')
    .optional(),
  dryRun: z.boolean({ error: 'true or false' }).optional(),
};

const hubSchema = z.object(hubFields, { error: `an object with only the hub's fields (${FIELDS.join(', ')})` }).strict();
/** The envelope: EventBridge's fields pass through unread, the hub's are checked, anything else is refused. */
const envelopeSchema = z
  .object({
    ...hubFields,
    ...Object.fromEntries(EVENTBRIDGE_FIELDS.filter((f) => f !== 'detail').map((f) => [f, z.unknown().optional()])),
    detail: hubSchema.nullable().optional(),
  })
  .strict();

type HubFields = z.infer<typeof hubSchema>;

/** An event EventBridge made itself (a schedule or a rule without an Input). */
function isEventBridgeEvent(event: object): boolean {
  return 'detail-type' in event && 'source' in event;
}

export class EventError extends Error {
  constructor(message: string) {
    super(clip(message, MAX_EVENT_MESSAGE));
    this.name = 'EventError';
  }
}

function shown(text: string): string {
  return JSON.stringify(clip(escapeInvisible(text), MAX_ECHO));
}

function problemsOf(error: z.ZodError, allowed: readonly string[]): string {
  const problems = error.issues.map((issue) => {
    const path = issue.path.map((p) => clip(String(p), MAX_ECHO)).join('.');
    const where = path === '' ? '' : `${path}: `;
    if (issue.code === 'unrecognized_keys') {
      const keys =
        issue.keys.slice(0, MAX_PROBLEMS).map(shown).join(', ') +
        (issue.keys.length > MAX_PROBLEMS ? ` and ${issue.keys.length - MAX_PROBLEMS} more` : '');
      return `${where}unknown field${issue.keys.length === 1 ? '' : 's'} ${keys} (allowed: ${(path === 'detail' ? FIELDS : allowed).join(', ')})`;
    }
    return `${where}${clip(issue.message, 200)}`;
  });
  const head = problems.slice(0, MAX_PROBLEMS).join('; ');
  return problems.length > MAX_PROBLEMS ? `${head}; and ${problems.length - MAX_PROBLEMS} more problems` : head;
}

/** One field from the top level and `detail`: they must agree when both name it. */
function merged<K extends keyof HubFields>(name: K, top: HubFields, detail: HubFields): HubFields[K] {
  const a = top[name];
  const b = detail[name];
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (JSON.stringify(a) !== JSON.stringify(b))
    throw new EventError(`"${name}" is given twice, beside the event's fields and in its detail, with different values; give it once`);
  return a;
}

/** Reads an invocation's event, or throws an `EventError` naming every problem (the first few of many). */
export function parseHubEvent(event: unknown): HubEvent {
  if (event === undefined || event === null) return { selection: { kind: 'all' }, dryRun: false };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new EventError(
      `the event is ${Array.isArray(event) ? 'a list' : `a ${typeof event}`}; expected an object such as {}, {"shard": "2/8"} or {"accounts": ["111122223333"]}`,
    );
  }
  let fields: HubFields;
  if (isEventBridgeEvent(event)) {
    const parsed = envelopeSchema.safeParse(event);
    if (!parsed.success) throw new EventError(problemsOf(parsed.error, [...FIELDS, ...EVENTBRIDGE_FIELDS]));
    const top = { shard: parsed.data.shard, accounts: parsed.data.accounts, dryRun: parsed.data.dryRun };
    const detail = parsed.data.detail ?? {};
    fields = { shard: merged('shard', top, detail), accounts: merged('accounts', top, detail), dryRun: merged('dryRun', top, detail) };
  } else {
    const parsed = hubSchema.safeParse(event);
    if (!parsed.success) throw new EventError(problemsOf(parsed.error, FIELDS));
    fields = parsed.data;
  }
  const { shard, accounts, dryRun } = fields;
  if (shard !== undefined && accounts !== undefined) throw new EventError('give "shard" or "accounts", not both');
  let selection: ClusterSelection = { kind: 'all' };
  if (shard !== undefined) {
    const result = parseShard(shard);
    if (!result.ok) throw new EventError(`shard: ${result.message}`);
    selection = result.selection;
  } else if (accounts !== undefined) {
    // The same account twice is the same selection; keep the first order.
    selection = { kind: 'accounts', accounts: [...new Set(accounts)] };
  }
  return { selection, dryRun: dryRun === true };
}
