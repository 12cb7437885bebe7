/**
 * The last versions of a cluster's aws-auth, kept before every write in
 * `kube-system/eks-auth-hub-history` so an operator can roll back. Pure: the caller reads and writes
 * the ConfigMap.
 */
import { AWS_AUTH_KEYS, configMapDataBytes } from './aws-auth/config-map.js';
import { allEntries, type Entry, entryKey } from './aws-auth/entry.js';
import { parseAwsAuth } from './aws-auth/read.js';
import { HubError } from './errors.js';
import { checkWrite, type GuardRefusal } from './guard.js';
import { DESIRED_HASH_ANNOTATION } from './ownership.js';
import type { HistoryEntry } from './world.js';

export const HISTORY_CONFIGMAP = 'eks-auth-hub-history';
export const HISTORY_KEY = 'history.json';
/** Versions kept. */
export const HISTORY_LIMIT = 10;
/** Bytes the history may take, well under the 1 MiB ConfigMap limit. */
export const HISTORY_MAX_BYTES = 512 * 1024;

/** Only the mapping keys are kept: other data keys are never changed by the hub. */
function mappingData(data: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of AWS_AUTH_KEYS) if (data[key] !== undefined) out[key] = data[key];
  return out;
}

/** Newest first. Anything unreadable is dropped rather than trusted. */
export function readHistory(data: Readonly<Record<string, string>> | undefined): HistoryEntry[] {
  const text = data?.[HISTORY_KEY];
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown): HistoryEntry[] => {
    if (typeof item !== 'object' || item === null) return [];
    const e = item as Record<string, unknown>;
    const d = e['data'];
    if (typeof e['replacedAt'] !== 'string' || typeof e['passId'] !== 'string' || typeof d !== 'object' || d === null) return [];
    if (!Object.values(d).every((v) => typeof v === 'string')) return [];
    const rv = typeof e['resourceVersion'] === 'string' ? { resourceVersion: e['resourceVersion'] } : {};
    return [
      {
        replacedAt: e['replacedAt'],
        passId: e['passId'],
        desiredHash: typeof e['desiredHash'] === 'string' ? e['desiredHash'] : '',
        data: d as Record<string, string>,
        ...rv,
      },
    ];
  });
}

/**
 * The history with `previous` kept: newest first, at most HISTORY_LIMIT versions and HISTORY_MAX_BYTES.
 * A version already kept (same resourceVersion: a write that lost a conflict, or another hub that got
 * there first) is not kept twice; then the history is returned unchanged (the same array).
 *
 * One exception: the newest entry kept for `previous` by another pass. The history is written before
 * aws-auth, so an entry whose version is still the live one names a replacement that never happened
 * (that pass was killed, or cut short by its deadline, between the two writes). It is corrected: it
 * now names this pass, which is about to replace that version.
 */
export function appendHistory(
  history: readonly HistoryEntry[],
  previous: {
    readonly data: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly resourceVersion: string;
  },
  replacedAt: Date,
  passId: string,
): readonly HistoryEntry[] {
  const newest = history[0];
  if (newest !== undefined && newest.resourceVersion === previous.resourceVersion && newest.passId !== passId) {
    return [{ ...newest, replacedAt: replacedAt.toISOString(), passId }, ...history.slice(1)];
  }
  if (history.some((e) => e.resourceVersion === previous.resourceVersion)) return history;
  const entry: HistoryEntry = {
    resourceVersion: previous.resourceVersion,
    replacedAt: replacedAt.toISOString(),
    passId,
    desiredHash: previous.annotations[DESIRED_HASH_ANNOTATION] ?? '',
    data: mappingData(previous.data),
  };
  const next = [entry, ...history].slice(0, HISTORY_LIMIT);
  const size = (value: unknown): number => new TextEncoder().encode(JSON.stringify(value)).length;
  while (next.length > 1 && size(next) > HISTORY_MAX_BYTES) next.pop();
  return next;
}

/**
 * Whether `entry` names a replacement that has not happened: its version is still the live one (the
 * pass that kept it was stopped before its aws-auth write; the next write of the hub corrects it).
 */
export function notReplaced(entry: HistoryEntry, live: { readonly resourceVersion: string } | null): boolean {
  return live !== null && entry.resourceVersion !== undefined && entry.resourceVersion === live.resourceVersion;
}

export function renderHistory(history: readonly HistoryEntry[]): Record<string, string> {
  return { [HISTORY_KEY]: JSON.stringify(history) };
}

export interface RollbackPlan {
  readonly data: Record<string, string>;
  readonly refusals: readonly GuardRefusal[];
  readonly noop: boolean;
}

/**
 * Plans putting back version `to` (1 = the most recent one replaced) over the live data, through the
 * same write checks as a pass (node mappings, the hub's own mapping, removal ratio, rendering).
 */
export function planRollback(
  live: { readonly data: Readonly<Record<string, string>>; readonly binaryData?: Readonly<Record<string, string>> } | null,
  history: readonly HistoryEntry[],
  to: number,
  options: { readonly hubPrincipalArn: string | undefined; readonly maxRemovalRatio: number },
): RollbackPlan {
  const target = history[to - 1];
  if (target === undefined) {
    throw new HubError('user', 'history.no-version', `there is no version ${to}: the history holds ${history.length}`);
  }
  const current = live === null ? null : parseAwsAuth(live.data);
  const wanted = parseAwsAuth(target.data);
  if (wanted.problems.some((p) => p.severity === 'error')) {
    return { data: {}, noop: false, refusals: [{ rule: 'render-invalid', message: `version ${to} is not valid aws-auth data` }] };
  }
  const liveEntries: Entry[] = current === null ? [] : allEntries(current);
  const next = allEntries(wanted);
  const nextKeys = new Set(next.map(entryKey));
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(live?.data ?? {})) if (!(AWS_AUTH_KEYS as readonly string[]).includes(key)) data[key] = value;
  const keptBytes = configMapDataBytes(data, live?.binaryData);
  Object.assign(data, target.data);
  const refusals = checkWrite({
    live: liveEntries,
    next,
    // Restoring puts back what was there: none of it counts as the hub's own new writing.
    hubWritten: new Set(),
    removed: liveEntries.filter((e) => !nextKeys.has(entryKey(e))),
    rendered: mappingData(target.data),
    hubPrincipalArn: options.hubPrincipalArn,
    maxRemovalRatio: options.maxRemovalRatio,
    keptBytes,
  });
  const noop = AWS_AUTH_KEYS.every((key) => (live?.data[key] ?? undefined) === target.data[key]);
  return { data, refusals, noop };
}
