/**
 * The hub's sessions in target accounts: STS AssumeRole into
 * `arn:<partition>:iam::<account>:role/<roleName>` (with ExternalId), cached per account until
 * shortly before they expire. The hub's own credentials come from the SDK's default chain
 * (environment, profile, ECS task role, Lambda role).
 *
 * IAM evaluates a session on every call, not when it is issued: a session kept in the cache stops
 * working when its role's sessions are revoked, or the role is deleted or created again under the
 * same name. A call refused that way (`withSession`, or a cluster's 401 through `refresh`) drops the
 * account's session, assumes the role again, waits a moment for IAM's eventual consistency and is
 * made once more: at most once per account per pass (between two `open`s), so nothing loops. If the new AssumeRole is refused, the account's
 * clusters fail with `sts.role-unavailable` (a SessionError) naming the role.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type AccountSessions, HubError, type Partition, roleArn, SessionError } from '@eks-auth-hub/core';
import { LRUCache } from 'lru-cache';
import { fromAwsError } from './errors.js';
import { clientSettings, NO_OBSERVER, observed, type SdkOptions, withCallDeadline } from './sdk-options.js';

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface StsSessionOptions extends SdkOptions {
  readonly roleName: string;
  readonly externalId?: string;
  readonly sessionName: string;
  /** Session length asked for, in seconds (900..3600 when the hub itself is a role session). */
  readonly durationSeconds?: number;
  /** Refresh this long before expiry. */
  readonly refreshBeforeMs?: number;
  /** The STS client the hub assumes roles with (default: from the environment). */
  readonly sts?: STSClient;
  readonly now?: () => number;
  /** Wait after assuming the role again before the refused call is made once more (IAM's consistency; default 2 s). */
  readonly refreshBackoffMs?: number;
}

/** Why a call refused a session it was signed with; a new session may be accepted. */
export type RefreshReason = 'access-denied' | 'invalid-token' | 'expired-token' | 'cluster-unauthorized';
export const REFRESH_REASONS: readonly RefreshReason[] = ['access-denied', 'invalid-token', 'expired-token', 'cluster-unauthorized'];

const REFUSALS: Readonly<Record<string, RefreshReason>> = {
  AccessDenied: 'access-denied',
  AccessDeniedException: 'access-denied',
  InvalidClientTokenId: 'invalid-token',
  UnrecognizedClientException: 'invalid-token',
  ExpiredToken: 'expired-token',
  ExpiredTokenException: 'expired-token',
};

/** The reason an AWS SDK error says the session it was signed with was refused, if it says so. */
export function sessionRefusal(error: unknown): RefreshReason | undefined {
  const name = typeof error === 'object' && error !== null && 'name' in error ? (error as { name: unknown }).name : undefined;
  return typeof name === 'string' ? REFUSALS[name] : undefined;
}

interface Cached {
  readonly promise: Promise<SessionCredentials>;
  expiresAt: number;
  /** Set once the promise resolved. */
  accessKeyId?: string;
}

/** Whether the account's session was renewed in its current pass. */
interface AccountPass {
  refreshed: boolean;
  /** Why renewing failed in this pass: every later refusal in the pass ends with it. */
  failure?: unknown;
}

export class StsAccountSessions implements AccountSessions {
  /** Per account; bounded far above any fleet, so only accounts long out of use go. */
  private readonly cache = new LRUCache<string, Cached>({ max: 100_000 });
  private readonly passes = new LRUCache<string, AccountPass>({ max: 100_000 });
  private readonly sts: STSClient;
  private readonly now: () => number;
  /** AssumeRole calls made (for tests and the benchmark). */
  assumeRoleCalls = 0;
  /** Sessions renewed after a refusal (for tests). */
  refreshes = 0;

  constructor(private readonly options: StsSessionOptions) {
    this.sts = options.sts ?? new STSClient({ ...clientSettings(options) });
    this.now = options.now ?? Date.now;
  }

  roleArn(account: string, partition: Partition): string {
    return roleArn(partition, account, this.options.roleName);
  }

  /** Starts the account's work in a pass: its session may be renewed once again. */
  async open(account: string, partition: Partition, signal?: AbortSignal): Promise<void> {
    const key = `${partition}/${account}`;
    this.passes.set(key, { refreshed: false });
    await this.credentials(account, partition, signal);
  }

  /**
   * Credentials for `account`, from cache while they have more than `refreshBeforeMs` left. A call
   * to STS ends within its deadline, or sooner when `signal` aborts (then the next caller asks again).
   */
  credentials(account: string, partition: Partition, signal?: AbortSignal): Promise<SessionCredentials> {
    const key = `${partition}/${account}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expiresAt - (this.options.refreshBeforeMs ?? 5 * 60_000) > this.now()) return cached.promise;
    return this.start(key, this.assume(account, partition, undefined, signal));
  }

  private start(key: string, promise: Promise<SessionCredentials>): Promise<SessionCredentials> {
    const entry: Cached = { promise, expiresAt: Number.POSITIVE_INFINITY };
    this.cache.set(key, entry);
    entry.promise.then(
      (credentials) => {
        entry.expiresAt = credentials.expiration.getTime();
        entry.accessKeyId = credentials.accessKeyId;
      },
      () => {
        if (this.cache.get(key) === entry) this.cache.delete(key);
      },
    );
    return entry.promise;
  }

  /**
   * After a call signed with the session `usedKeyId` was refused for `reason`: whether to make the call
   * once more. True when another session is (or is being) put in its place: by this call when none
   * was renewed in the account's pass yet (it assumes the role again, then waits `refreshBackoffMs`),
   * or by another call meanwhile. False when the session may not be renewed (the refusal stands: once
   * per pass, and never outside a pass). Throws a SessionError when assuming the role again is refused.
   */
  async refresh(account: string, partition: Partition, usedKeyId: string, reason: RefreshReason): Promise<boolean> {
    const key = `${partition}/${account}`;
    const entry = this.cache.get(key);
    const state = this.passes.get(key);
    if (entry !== undefined && entry.accessKeyId !== usedKeyId) {
      // Another call renewed it (or is renewing it): use that session.
      await entry.promise;
      return true;
    }
    if (state?.failure !== undefined) throw state.failure;
    if (entry === undefined || state === undefined || state.refreshed) return false;
    state.refreshed = true;
    this.refreshes += 1;
    this.options.observer?.sessionRefresh?.(reason);
    const renewed = this.start(key, this.renew(account, partition, reason));
    try {
      await renewed;
    } catch (error) {
      state.failure = error;
      throw error;
    }
    return true;
  }

  private async renew(account: string, partition: Partition, reason: RefreshReason): Promise<SessionCredentials> {
    const credentials = await this.assume(account, partition, reason);
    await sleep(this.options.refreshBackoffMs ?? 2_000);
    return credentials;
  }

  /**
   * Runs an AWS call signed with the account's session. When the call refuses the session (access
   * denied, unknown or expired token) and `refresh` allows it, the call is made once more with the
   * new session; otherwise the error stands.
   */
  async withSession<T>(account: string, partition: Partition, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const used = await this.credentials(account, partition, signal);
    try {
      return await call();
    } catch (error) {
      const reason = sessionRefusal(error);
      if (reason === undefined || !(await this.refresh(account, partition, used.accessKeyId, reason))) throw error;
      return call();
    }
  }

  /** AssumeRole into the account (`after`: the refusal of the session it replaces, for the error message). */
  private async assume(account: string, partition: Partition, after?: RefreshReason, signal?: AbortSignal): Promise<SessionCredentials> {
    const roleArn = this.roleArn(account, partition);
    this.assumeRoleCalls += 1;
    const out = await observed(this.options.observer ?? NO_OBSERVER, 'sts', 'AssumeRole', async () => {
      try {
        return await withCallDeadline(this.options, signal, (abortSignal) =>
          this.sts.send(
            new AssumeRoleCommand({
              RoleArn: roleArn,
              RoleSessionName: this.options.sessionName,
              DurationSeconds: this.options.durationSeconds ?? 3600,
              ...(this.options.externalId === undefined ? {} : { ExternalId: this.options.externalId }),
            }),
            { abortSignal },
          ),
        );
      } catch (error) {
        throw this.refused(error, account, roleArn, after);
      }
    });
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined || c.Expiration === undefined) {
      throw new HubError('terminal', 'aws.error', `sts:AssumeRole ${roleArn}: the answer holds no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }

  /**
   * AssumeRole's refusal as an operator can act on it: STS answers AccessDenied alike whether the role
   * does not exist, its trust policy does not name the hub, or the ExternalId does not match.
   */
  private refused(error: unknown, account: string, roleArn: string, after: RefreshReason | undefined): HubError {
    const translated = fromAwsError(error, `sts:AssumeRole ${roleArn}`);
    if (translated.code !== 'aws.access-denied') return translated;
    // What an operator acts on first (a status line may be cut short), STS's own words last.
    const externalId = this.options.externalId === undefined ? '' : ' with the configured ExternalId';
    const held =
      after === undefined
        ? ''
        : `; the session the hub held there was refused just before (${after}): the role was deleted or changed since`;
    const said = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    return new SessionError(
      'sts.role-unavailable',
      `sts:AssumeRole ${roleArn}: AccessDenied: the hub cannot enter account ${account}: the role does not exist, or its trust policy does not let the hub's principal assume it${externalId} (STS does not say which)${held}. STS: ${said}`,
      { cause: error },
    );
  }

  /**
   * A credential provider for SDK clients acting in `account`. Marked as memoized so the SDK asks it
   * on every request (the cache here is the one memo): a session dropped after a refusal is not
   * used again.
   */
  provider(account: string, partition: Partition): (() => Promise<SessionCredentials>) & { memoized: true } {
    return Object.assign(() => this.credentials(account, partition), { memoized: true as const });
  }
}
