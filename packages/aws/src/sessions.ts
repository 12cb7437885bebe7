/**
 * The hub's sessions in target accounts: STS AssumeRole into
 * `arn:<partition>:iam::<account>:role/<roleName>` (with ExternalId), cached per account until
 * shortly before they expire. The hub's own credentials come from the SDK's default chain
 * (environment, profile, ECS task role, Lambda role).
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { LRUCache } from 'lru-cache';
import { HubError, type AccountSessions, type Partition } from '@eks-auth-hub/core';
import { fromAwsError } from './errors.js';
import { NO_OBSERVER, clientSettings, observed, withCallDeadline, type SdkOptions } from './sdk-options.js';

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
}

interface Cached {
  readonly promise: Promise<SessionCredentials>;
  expiresAt: number;
}

export class StsAccountSessions implements AccountSessions {
  /** Per account; bounded far above any fleet, so only accounts long out of use go. */
  private readonly cache = new LRUCache<string, Cached>({ max: 100_000 });
  private readonly sts: STSClient;
  private readonly now: () => number;
  /** AssumeRole calls made (for tests and the benchmark). */
  assumeRoleCalls = 0;

  constructor(private readonly options: StsSessionOptions) {
    this.sts = options.sts ?? new STSClient({ ...clientSettings(options) });
    this.now = options.now ?? Date.now;
  }

  roleArn(account: string, partition: Partition): string {
    return `arn:${partition}:iam::${account}:role/${this.options.roleName}`;
  }

  async open(account: string, partition: Partition, signal?: AbortSignal): Promise<void> {
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
    const entry: Cached = { promise: this.assume(account, partition, signal), expiresAt: Number.POSITIVE_INFINITY };
    this.cache.set(key, entry);
    entry.promise.then(
      (credentials) => {
        entry.expiresAt = credentials.expiration.getTime();
      },
      () => {
        if (this.cache.get(key) === entry) this.cache.delete(key);
      },
    );
    return entry.promise;
  }

  private async assume(account: string, partition: Partition, signal: AbortSignal | undefined): Promise<SessionCredentials> {
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
        throw fromAwsError(error, `sts:AssumeRole ${roleArn}`);
      }
    });
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined || c.Expiration === undefined) {
      throw new HubError('terminal', 'aws.error', `sts:AssumeRole ${roleArn}: the answer holds no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }

  /** A credential provider for SDK clients acting in `account`. */
  provider(account: string, partition: Partition): () => Promise<SessionCredentials> {
    return () => this.credentials(account, partition);
  }
}
