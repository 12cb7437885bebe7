/**
 * Spreading a large fleet over several passes: a pass may cover one shard `i/n` of the accounts, or
 * a named list of accounts. Shards are numbered from 1 (`1/8` … `8/8`).
 *
 * An account's shard depends only on its ID and `n` (the first 48 bits of the SHA-256 of the ID,
 * modulo `n`), so it never moves when the file changes, and all clusters of an account stay in the
 * same shard: the account is entered and its Identity Center roles listed once per pass, as in a
 * whole pass. The `n` shards together hold every cluster exactly once.
 */
import { ACCOUNT_PATTERN } from './arn.js';
import { HubError } from './errors.js';
import { sha256Hex } from './hash.js';
import type { DesiredState } from './model.js';
import { clip, escapeInvisible } from './printable.js';

/** The most shards a fleet may be split into. */
export const MAX_SHARDS = 1000;

/** Which part of the fleet one pass covers. */
export type ClusterSelection =
  | { readonly kind: 'all' }
  /** Shard `index` of `count`, 1 ≤ index ≤ count. */
  | { readonly kind: 'shard'; readonly index: number; readonly count: number }
  | { readonly kind: 'accounts'; readonly accounts: readonly string[] };

export type ShardParseResult =
  | { readonly ok: true; readonly selection: Extract<ClusterSelection, { kind: 'shard' }> }
  | { readonly ok: false; readonly message: string };

/** Parses `i/n` (e.g. `2/8`); the message of a refusal says what is allowed. */
export function parseShard(text: string): ShardParseResult {
  const match = /^([0-9]{1,9})\/([0-9]{1,9})$/.exec(text);
  if (match === null) {
    return {
      ok: false,
      message: `shard ${JSON.stringify(clip(escapeInvisible(text), 40))} is not i/n: the shard's number, a slash and the number of shards, e.g. 2/8`,
    };
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) return { ok: false, message: `shard ${text}: the number of shards is 1 to ${MAX_SHARDS}` };
  if (index < 1 || index > count) {
    return {
      ok: false,
      message: `shard ${text} does not exist: shards are numbered from 1, so the shards of ${count} are 1/${count} … ${count}/${count}`,
    };
  }
  return { ok: true, selection: { kind: 'shard', index, count } };
}

/** The shard (1 … count) an account belongs to among `count` shards. */
export function shardOfAccount(account: string, count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) throw new RangeError(`shard count ${count} is not 1 to ${MAX_SHARDS}`);
  return (Number.parseInt(sha256Hex(account).slice(0, 12), 16) % count) + 1;
}

/** Accounts a label or a message names; the rest are counted. */
const NAMED_ACCOUNTS = 3;

/** `111122223333,444455556666,… (+5 more)`: a few of a list and how many in all, never the whole list. */
function someOf(items: readonly string[], separator: string): string {
  const named = items.slice(0, NAMED_ACCOUNTS).join(separator);
  return items.length > NAMED_ACCOUNTS ? `${named}${separator}… (${items.length} in all)` : named;
}

/**
 * A short name of the selection for reports, logs and metrics: `2/8`, `accounts 111122223333,444455556666`,
 * or for a long list the first few and the count (`accounts 111122223333,…,… (250 in all)`); undefined
 * for the whole fleet.
 */
export function selectionLabel(selection: ClusterSelection): string | undefined {
  switch (selection.kind) {
    case 'all':
      return undefined;
    case 'shard':
      return `${selection.index}/${selection.count}`;
    case 'accounts':
      return `accounts ${someOf(selection.accounts, ',')}`;
  }
}

/**
 * The desired state reduced to the selected clusters (in file order); settings and the file's hash
 * stay those of the whole file. A named account that is not 12 digits or holds no cluster of the
 * file is a user error: nothing is selected.
 */
export function selectClusters(state: DesiredState, selection: ClusterSelection): DesiredState {
  switch (selection.kind) {
    case 'all':
      return state;
    case 'shard': {
      const problem = parseShard(`${selection.index}/${selection.count}`);
      if (!problem.ok) throw new HubError('user', 'selection.invalid', problem.message);
      return { ...state, clusters: state.clusters.filter((c) => shardOfAccount(c.account, selection.count) === selection.index) };
    }
    case 'accounts': {
      if (selection.accounts.length === 0)
        throw new HubError('user', 'selection.invalid', 'the list of accounts is empty: name at least one account');
      const malformed = selection.accounts.filter((a) => !ACCOUNT_PATTERN.test(a));
      if (malformed.length > 0) {
        throw new HubError(
          'user',
          'selection.invalid',
          `not an account ID: ${someOf(
            malformed.map((a) => JSON.stringify(clip(escapeInvisible(a), 40))),
            ', ',
          )} (an account ID is 12 digits)`,
        );
      }
      const known = [...new Set(state.clusters.map((c) => c.account))];
      const knownSet = new Set(known);
      const unknown = [...new Set(selection.accounts.filter((a) => !knownSet.has(a)))];
      if (unknown.length > 0) {
        const some = known.slice(0, 10).join(', ') + (known.length > 10 ? `, … (${known.length} in all)` : '');
        throw new HubError(
          'user',
          'selection.unknown-account',
          `no cluster of ${state.file} is in account ${someOf(unknown, ', ')}; its accounts: ${some}`,
        );
      }
      const wanted = new Set(selection.accounts);
      return { ...state, clusters: state.clusters.filter((c) => wanted.has(c.account)) };
    }
  }
}
