/**
 * The port calls a pass has in flight (which operation, on what, since when), so that a stalled pass
 * can say on `/status` what it is waiting for. Counted at the ports (one entry per call, retries
 * included), not per HTTP request; the number held is bounded by the pass's concurrency.
 */
import type { AccountSessions, AwsAuthStore, ClusterDirectory, Ports, RoleDirectory } from '@eks-auth-hub/core';

export interface InFlightCall {
  /** The port operation: `sts:open-session`, `iam:list-roles`, `eks:describe`, `kube:read`, … */
  readonly operation: string;
  /** The account, or `account/region/cluster`. */
  readonly target: string;
  readonly since: string;
}

export class InFlight {
  private next = 0;
  private readonly calls = new Map<number, { readonly operation: string; readonly target: string; readonly since: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  track<T>(operation: string, target: string, run: () => Promise<T>): Promise<T> {
    const id = this.next++;
    this.calls.set(id, { operation, target, since: this.now() });
    const done = (): void => {
      this.calls.delete(id);
    };
    let promise: Promise<T>;
    try {
      promise = run();
    } catch (error) {
      done();
      throw error;
    }
    promise.then(done, done);
    return promise;
  }

  get size(): number {
    return this.calls.size;
  }

  /** The oldest `max` calls, oldest first. */
  list(max = 20): InFlightCall[] {
    return [...this.calls.values()]
      .sort((a, b) => a.since - b.since)
      .slice(0, max)
      .map((c) => ({ operation: c.operation, target: c.target, since: new Date(c.since).toISOString() }));
  }
}

type ClusterLike = { readonly account: string; readonly region: string; readonly name: string };
const where = (c: ClusterLike): string => `${c.account}/${c.region}/${c.name}`;

function trackStore(store: AwsAuthStore, calls: InFlight, prefix: string): AwsAuthStore {
  return {
    read: (c, e, s) => calls.track(`${prefix}:read`, where(c), () => store.read(c, e, s)),
    write: (c, e, change, s) => calls.track(`${prefix}:write`, where(c), () => store.write(c, e, change, s)),
    verify: (c, e, s) => calls.track(`${prefix}:verify`, where(c), () => store.verify(c, e, s)),
    readHistory: (c, e, s) => calls.track(`${prefix}:read-history`, where(c), () => store.readHistory(c, e, s)),
    writeHistory: (c, e, entries, rv, s) =>
      calls.track(`${prefix}:write-history`, where(c), () => store.writeHistory(c, e, entries, rv, s)),
  };
}

/** The same ports, each network call recorded in `calls` while it runs. */
export function trackedPorts(ports: Ports, calls: InFlight): Ports {
  const sessions: AccountSessions = {
    open: (account, partition, s) => calls.track('sts:open-session', account, () => ports.sessions.open(account, partition, s)),
  };
  const roles: RoleDirectory = {
    listSsoRoles: (account, partition, s) => calls.track('iam:list-roles', account, () => ports.roles.listSsoRoles(account, partition, s)),
  };
  const clusters: ClusterDirectory = {
    describe: (c, s) => calls.track('eks:describe', where(c), () => ports.clusters.describe(c, s)),
    nodeRoles: (c, s) => calls.track('eks:node-roles', where(c), () => ports.clusters.nodeRoles(c, s)),
    forget: (c) => ports.clusters.forget(c),
  };
  return {
    sessions,
    roles,
    clusters,
    awsAuth: trackStore(ports.awsAuth, calls, 'kube'),
    ...(ports.recovery === undefined ? {} : { recovery: trackStore(ports.recovery, calls, 'kube-recovery') }),
    clock: ports.clock,
  };
}
