/**
 * Ownership: what the hub records on the aws-auth ConfigMap it writes (its annotations), and the merge
 * rule that reads that record to decide which live entries are the hub's to change and which it keeps.
 */
import { AWS_AUTH_KEYS } from './aws-auth/config-map.js';
import { type Entry, sameGrant } from './aws-auth/entry.js';
import { hashOf } from './hash.js';
import type { Ownership } from './model.js';
import type { ObservedAwsAuth } from './world.js';

export const ANNOTATION_PREFIX = 'eks-auth-hub.io/';
/** JSON list of entry keys the hub wrote (the ownership record used by `merge`). */
export const OWNED_ANNOTATION = `${ANNOTATION_PREFIX}owned`;
/** sha256 of the cluster's desired state the last write came from. */
export const DESIRED_HASH_ANNOTATION = `${ANNOTATION_PREFIX}desired-hash`;
/** When the last write was planned (ISO 8601, from the caller's clock). */
export const APPLIED_AT_ANNOTATION = `${ANNOTATION_PREFIX}applied-at`;
/** sha256 of the mapping data the hub wrote: a live value that no longer matches it was edited by hand. */
export const DATA_HASH_ANNOTATION = `${ANNOTATION_PREFIX}data-hash`;

/** The hash recorded in DATA_HASH_ANNOTATION: over the three mapping keys only. */
export function mappingDataHash(data: Readonly<Record<string, string>>): string {
  return hashOf(AWS_AUTH_KEYS.map((key) => [key, data[key] ?? null]));
}

/** The ownership record: which entry keys the hub wrote. */
export function readOwnership(annotations: Readonly<Record<string, string>>): { keys: ReadonlySet<string> } | { problem: string } {
  const raw = annotations[OWNED_ANNOTATION];
  if (raw === undefined) return { keys: new Set() };
  try {
    const value: unknown = JSON.parse(raw);
    if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return { keys: new Set(value) };
  } catch {
    // fall through
  }
  return { problem: `annotation ${OWNED_ANNOTATION} is not a JSON list of strings; ownership of live entries is unknown` };
}

/** What the hub knows about who wrote the live entries of one cluster's aws-auth. */
export interface LiveOwnership {
  readonly mode: Ownership;
  /** The entry keys the hub wrote (none when there is no record, or it cannot be read). */
  readonly keys: ReadonlySet<string>;
  /** Set when the record cannot be read. */
  readonly problem?: string;
}

/** The ownership record of the live aws-auth (none yet when there is no aws-auth), under the cluster's mode. */
export function liveOwnership(mode: Ownership, observed: ObservedAwsAuth | null): LiveOwnership {
  const read = observed === null ? { keys: new Set<string>() } : readOwnership(observed.annotations);
  return 'keys' in read ? { mode, keys: read.keys } : { mode, keys: new Set(), problem: read.problem };
}

/** Under merge, a live entry the record does not name was written by someone else: the hub keeps it. */
export function isForeign(ownership: LiveOwnership, key: string): boolean {
  return ownership.mode === 'merge' && !ownership.keys.has(key);
}

/**
 * The merge rule for an entry the hub would write over a live one (`current`): under merge, an entry
 * someone else wrote is never changed; an identical one is adopted, a different one stays as it is.
 */
export function leftToItsWriter(ownership: LiveOwnership, key: string, current: Entry | undefined, entry: Entry): boolean {
  return current !== undefined && isForeign(ownership, key) && !sameGrant(current, entry);
}

/** The record a write stores: the keys of the entries the hub writes, sorted. */
export function ownershipRecord(hubWritten: ReadonlySet<string>): string {
  return JSON.stringify([...hubWritten].sort());
}

/** Under merge, whether the record a write would store differs from the live one (then it is written even without an entry change). */
export function ownershipRecordChanged(ownership: LiveOwnership, observed: ObservedAwsAuth | null, record: string): boolean {
  return ownership.mode === 'merge' && observed !== null && observed.annotations[OWNED_ANNOTATION] !== record;
}

/** The live mappings differ from what the hub last wrote (edited by someone else since). */
export function editedSinceLastWrite(observed: ObservedAwsAuth | null): boolean {
  const writtenHash = observed?.annotations[DATA_HASH_ANNOTATION];
  return observed !== null && writtenHash !== undefined && writtenHash !== mappingDataHash(observed.data);
}

/** The live aws-auth has never been written by the hub (it carries no record of a write). */
export function neverWrittenByHub(observed: ObservedAwsAuth | null): boolean {
  return observed !== null && observed.annotations[DATA_HASH_ANNOTATION] === undefined;
}

/** The annotations a write sets: the ownership record, where the write came from and when, and the hash of what it wrote. */
export function writeAnnotations(
  record: string,
  desiredHash: string,
  now: Date,
  data: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    [OWNED_ANNOTATION]: record,
    [DESIRED_HASH_ANNOTATION]: desiredHash,
    [APPLIED_AT_ANNOTATION]: now.toISOString(),
    [DATA_HASH_ANNOTATION]: mappingDataHash(data),
  };
}
