/** The Identity Center roles of an account, listed with IAM ListRoles (every page, MaxItems 1000). */
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { HubError, type IamRole, type Partition, type RoleDirectory, SSO_PATH_PREFIX } from '@eks-auth-hub/core';
import { fromAwsError } from './errors.js';
import { iamRegion, NO_OBSERVER, observed, SdkClients, type SdkOptions, withCallDeadline } from './sdk-options.js';
import type { StsAccountSessions } from './sessions.js';

const MAX_PAGES = 1000;
/** What the hub asks for per page, and the most IAM ever returns: a longer page is not IAM's. */
export const LIST_ROLES_MAX_ITEMS = 1000;

export class IamRoleDirectory implements RoleDirectory {
  private readonly clients: SdkClients<IAMClient>;
  /** ListRoles calls made (for tests and the benchmark). */
  listRolesCalls = 0;

  constructor(
    private readonly sessions: StsAccountSessions,
    private readonly options: SdkOptions = {},
  ) {
    this.clients = new SdkClients(options, 'IAM', (settings, key) => {
      const [partition = 'aws', account = ''] = key.split('/') as [Partition, string];
      return new IAMClient({ ...settings, region: iamRegion(partition), credentials: this.sessions.provider(account, partition) });
    });
  }

  private client(account: string, partition: Partition): Promise<IAMClient> {
    return this.clients.get(`${partition}/${account}`);
  }

  async listSsoRoles(account: string, partition: Partition, signal?: AbortSignal): Promise<readonly IamRole[]> {
    const roles: IamRole[] = [];
    let marker: string | undefined;
    for (let page = 1; page <= MAX_PAGES; page++) {
      this.listRolesCalls += 1;
      const out = await observed(this.options.observer ?? NO_OBSERVER, 'iam', 'ListRoles', async () => {
        try {
          const client = await this.client(account, partition);
          const input = {
            PathPrefix: SSO_PATH_PREFIX,
            MaxItems: LIST_ROLES_MAX_ITEMS,
            ...(marker === undefined ? {} : { Marker: marker }),
          };
          return await this.sessions.withSession(
            account,
            partition,
            () => withCallDeadline(this.options, signal, (abortSignal) => client.send(new ListRolesCommand(input), { abortSignal })),
            signal,
          );
        } catch (error) {
          throw fromAwsError(error, `iam:ListRoles in ${account} (page ${page})`);
        }
      });
      const listed = out.Roles ?? [];
      if (listed.length > LIST_ROLES_MAX_ITEMS) {
        throw new HubError(
          'terminal',
          'aws.page-too-large',
          `iam:ListRoles in ${account} (page ${page}): ${listed.length} roles in one page; IAM returns at most ${LIST_ROLES_MAX_ITEMS}`,
        );
      }
      for (const role of listed) {
        if (role.RoleName === undefined || role.Path === undefined || role.Arn === undefined) {
          throw new HubError('terminal', 'aws.error', `iam:ListRoles in ${account}: a role without name, path or ARN`);
        }
        roles.push({
          roleName: role.RoleName,
          path: role.Path,
          arn: role.Arn,
          roleId: role.RoleId ?? '',
          createDate: role.CreateDate ?? '',
        });
      }
      if (out.IsTruncated !== true) return roles;
      if (out.Marker === undefined || out.Marker === '') {
        throw new HubError('transient', 'aws.partial-listing', `iam:ListRoles in ${account}: page ${page} is truncated but has no Marker`);
      }
      marker = out.Marker;
    }
    throw new HubError('transient', 'aws.partial-listing', `iam:ListRoles in ${account}: more than ${MAX_PAGES} pages`);
  }
}
