/** `--shard I/N` (plan, apply, run): the accounts of shard I of N, numbered from 1; anything else is a usage error. */
import { type ClusterSelection, parseShard } from '@eks-auth-hub/core';
import { UsageError } from './usage-error.js';

/** A selection of one shard's accounts. */
export type ShardSelection = Extract<ClusterSelection, { readonly kind: 'shard' }>;

export function shardOption(text: string): ShardSelection {
  const parsed = parseShard(text);
  if (!parsed.ok) throw new UsageError(`--shard: ${parsed.message}`);
  return parsed.selection;
}
