/**
 * The credentials `eks-auth-hub token` signs its cluster token with: the SDK's standard chain, or a
 * role assumed with sts:AssumeRole (and an external ID). Failures are the user's to fix: a HubError
 * of kind `user` with the translated code and message.
 */
import { HubError } from '@eks-auth-hub/core';
import type { Credentials } from './cluster-token.js';
import { fromAwsError } from './errors.js';
import { clientSettings, withCallDeadline } from './sdk-options.js';

export interface TokenCredentialsOptions {
  /** The region of the cluster (and of the STS client when a role is assumed). */
  readonly region: string;
  /** Assume this role first; without it, the SDK's standard credential chain. */
  readonly roleArn?: string;
  /** The external ID the role's trust policy asks for; only with `roleArn`. */
  readonly externalId?: string;
}

/** Loads (or assumes) the credentials for `token`; the SDK loads inside, so `--help` and the other commands start fast. */
export async function tokenCredentials(options: TokenCredentialsOptions): Promise<Credentials> {
  try {
    if (options.roleArn === undefined) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      const c = await fromNodeProviderChain()();
      return {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
      };
    }
    const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/client-sts');
    // The hub's request timeout and per-call deadline: kubectl waits on this command, it must end.
    const sdk = {};
    const sts = new STSClient({ ...clientSettings(sdk), region: options.region });
    const out = await withCallDeadline(sdk, undefined, (abortSignal) =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: 'eks-auth-hub-token',
          ...(options.externalId === undefined ? {} : { ExternalId: options.externalId }),
        }),
        { abortSignal },
      ),
    );
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
      throw new HubError('terminal', 'aws.error', 'sts:AssumeRole returned no credentials');
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken === undefined ? {} : { sessionToken: c.SessionToken }),
    };
  } catch (error) {
    const translated = fromAwsError(error, options.roleArn === undefined ? 'loading credentials' : `sts:AssumeRole ${options.roleArn}`);
    throw new HubError('user', translated.code, translated.message, { cause: error });
  }
}
