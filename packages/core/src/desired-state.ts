/**
 * Loading the desired-state file: YAML text → validated `DesiredState`, or every problem at once,
 * each located at `file:line:col` with its field path and the allowed form.
 */
import { ACCOUNT_PLACEHOLDER, partitionOfRegion } from './arn.js';
import { formatDuration, parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { hashOf } from './hash.js';
import type { ClusterSpec, DesiredRoleMapping, DesiredState, UserMapping } from './model.js';
import { type HubFile, hubFileSchema } from './schema.js';
import { loadYaml } from './yaml-source.js';

export type LoadResult = { readonly ok: true; readonly state: DesiredState } | { readonly ok: false; readonly error: ConfigError };

/** Parses and validates a desired-state file (its text, or its bytes as read). Never throws for bad input. */
export function loadDesiredState(source: string | Uint8Array, file: string): LoadResult {
  const loaded = loadYaml(source, file, hubFileSchema, {
    expected: 'a mapping with apiVersion, hub and clusters',
    what: 'a desired-state file',
  });
  if (!loaded.ok) return { ok: false, error: new ConfigError(file, loaded.issues) };
  return { ok: true, state: toDesiredState(loaded.value, file) };
}

/** Like `loadDesiredState`, throwing the `ConfigError`. */
export function parseDesiredState(source: string | Uint8Array, file: string): DesiredState {
  const result = loadDesiredState(source, file);
  if (!result.ok) throw result.error;
  return result.state;
}

// ---------------------------------------------------------------------------------------------

/**
 * One object for equal values: a hub keeps its desired state for as long as it runs, and in a fleet
 * most clusters of an account (often of every account) get the same mappings from the defaults. Lists
 * and mappings are frozen-shape readonly values, so sharing them is safe.
 */
class Interner {
  private readonly values = new Map<string, unknown>();
  private readonly ids = new Map<object, number>();

  /** The first value seen under `key`. */
  value<T>(key: string, make: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const value = make();
    this.values.set(key, value);
    return value;
  }

  /** A list of shared objects: equal when it holds the same objects in the same order. */
  list<T extends object>(kind: string, items: readonly T[]): readonly T[] {
    const key = `${kind}:${items.map((item) => this.idOf(item)).join(',')}`;
    return this.value(key, () => items);
  }

  private idOf(item: object): number {
    let id = this.ids.get(item);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(item, id);
    }
    return id;
  }
}

function toDesiredState(file: HubFile, fileName: string): DesiredState {
  const defaults = file.defaults ?? {};
  const shared = new Interner();
  // A permission-set mapping does not depend on the cluster: one object for every cluster it applies to.
  const permissionSetMappings = new Map<object, DesiredRoleMapping>();
  const clusters = file.clusters.map((cluster): ClusterSpec => {
    const inherit = cluster.inheritDefaults;
    const substitute = (arn: string): string => arn.replace(`::${ACCOUNT_PLACEHOLDER}:`, `::${cluster.account}:`);
    const mapRoles: DesiredRoleMapping[] = [...(inherit ? (defaults.mapRoles ?? []) : []), ...(cluster.mapRoles ?? [])].map(
      (entry): DesiredRoleMapping => {
        const groups = entry.groups ?? [];
        if (entry.rolearn !== undefined) {
          const rolearn = substitute(entry.rolearn);
          return shared.value(`role:${JSON.stringify([rolearn, entry.username, groups])}`, () => ({
            kind: 'rolearn',
            rolearn,
            username: entry.username,
            groups,
          }));
        }
        let mapping = permissionSetMappings.get(entry);
        if (mapping === undefined) {
          mapping = { kind: 'permissionset', permissionSet: entry.permissionset ?? '', username: entry.username, groups };
          permissionSetMappings.set(entry, mapping);
        }
        return mapping;
      },
    );
    const mapUsers: UserMapping[] = [...(inherit ? (defaults.mapUsers ?? []) : []), ...(cluster.mapUsers ?? [])].map((entry) => {
      const userarn = substitute(entry.userarn);
      const groups = entry.groups ?? [];
      return shared.value(`user:${JSON.stringify([userarn, entry.username, groups])}`, () => ({
        userarn,
        username: entry.username,
        groups,
      }));
    });
    const mapAccounts = [...(inherit ? (defaults.mapAccounts ?? []) : []), ...(cluster.mapAccounts ?? [])];
    const nodeRoles = (cluster.nodeRoles ?? []).map(substitute);
    const content = { ownership: cluster.ownership, nodeRoles, mapRoles, mapUsers, mapAccounts };
    const desiredHash = hashOf(content);
    return {
      id: `${cluster.account}/${cluster.region}/${cluster.name}`,
      name: cluster.name,
      account: shared.value(`account:${cluster.account}`, () => cluster.account),
      region: shared.value(`region:${cluster.region}`, () => cluster.region),
      partition: partitionOfRegion(cluster.region),
      ownership: cluster.ownership,
      nodeRoles: shared.value(`nodeRoles:${JSON.stringify(nodeRoles)}`, () => nodeRoles),
      mapRoles: shared.list('mapRoles', mapRoles),
      mapUsers: shared.list('mapUsers', mapUsers),
      mapAccounts: shared.value(`mapAccounts:${JSON.stringify(mapAccounts)}`, () => mapAccounts),
      desiredHash: shared.value(`hash:${desiredHash}`, () => desiredHash),
    };
  });
  const hub = file.hub;
  return {
    file: fileName,
    hub: {
      roleName: hub.roleName,
      ...(hub.externalId === undefined ? {} : { externalId: hub.externalId }),
      ...(hub.recoveryRoleName === undefined ? {} : { recoveryRoleName: hub.recoveryRoleName }),
      sessionName: hub.sessionName,
      interval: hub.interval,
      intervalMs: parseDuration(hub.interval) ?? 600_000,
      concurrency: hub.concurrency,
      accountConcurrency: hub.accountConcurrency,
      requestTimeout: hub.requestTimeout,
      requestTimeoutMs: parseDuration(hub.requestTimeout) ?? 15_000,
      ...passTimeoutOf(hub.passTimeout, parseDuration(hub.interval) ?? 600_000),
      guard: { maxRemovalRatio: hub.guard.maxRemovalRatio },
    },
    clusters,
    hash: hashOf({ hub: file.hub, clusters: clusters.map((c) => [c.id, c.desiredHash]) }),
  };
}

/** The least default pass deadline: a short interval still leaves a pass over a large fleet time to finish. */
export const MIN_DEFAULT_PASS_TIMEOUT_MS = 60_000;

/**
 * The pass deadline: `hub.passTimeout` as written, else the interval (a pass that has not finished
 * when the next one is due is stuck, not slow), at least MIN_DEFAULT_PASS_TIMEOUT_MS.
 */
export function passTimeoutOf(
  written: string | undefined,
  intervalMs: number,
): { readonly passTimeout: string; readonly passTimeoutMs: number } {
  const ms = written === undefined ? undefined : parseDuration(written);
  if (written !== undefined && ms !== undefined) return { passTimeout: written, passTimeoutMs: ms };
  const derived = Math.max(intervalMs, MIN_DEFAULT_PASS_TIMEOUT_MS);
  return { passTimeout: formatDuration(derived), passTimeoutMs: derived };
}
