/**
 * IAM ARNs, partitions and regions, as far as aws-auth is concerned.
 *
 * The authenticator compares a caller's canonical ARN (`arn:<p>:iam::<acct>:role/<name>`, never a
 * path, because STS ARNs carry none) with the `rolearn` keys of aws-auth, ignoring case. A `rolearn`
 * that carries a path therefore never matches anyone.
 */

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/** Region form: `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-5`, `il-central-1`. */
export const REGION_PATTERN = /^(?:[a-z]{2}|us-gov)-[a-z]+-[1-9][0-9]?$/;

export function isRegion(value: string): boolean {
  return REGION_PATTERN.test(value);
}

export function partitionOfRegion(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export const ACCOUNT_PATTERN = /^[0-9]{12}$/;

/** The placeholder that stands for the cluster's own account in an ARN's account field. */
export const ACCOUNT_PLACEHOLDER = '$ACCOUNTID';

/** IAM role and user names: 1–64 of `[\w+=,.@-]`. */
export const IAM_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** IAM paths: `/` or `/segments/`, printable ASCII without spaces, at most 512 characters. */
export const IAM_PATH_PATTERN = /^\/(?:[\x21-\x7e]+\/)?$/;

export type IamArn =
  | {
      readonly type: 'role' | 'user';
      readonly partition: Partition;
      /** 12 digits, or `$ACCOUNTID` where the caller allowed it. */
      readonly account: string;
      /** `/` when the ARN carries no path. */
      readonly path: string;
      readonly name: string;
    }
  | {
      readonly type: 'root';
      readonly partition: Partition;
      readonly account: string;
      readonly path: '/';
      readonly name: '';
    };

export type ArnParseResult = { readonly ok: true; readonly arn: IamArn } | { readonly ok: false; readonly reason: string };

const ARN_SHAPE = /^arn:([^:]*):iam::([^:]*):(.*)$/s;

/**
 * Parses an IAM role/user ARN strictly: ASCII only, a known partition, a 12-digit account (or the
 * placeholder when `allowPlaceholder`), a valid path and name.
 */
export function parseIamArn(value: string, options: { readonly allowPlaceholder?: boolean } = {}): ArnParseResult {
  if (!/^[\x21-\x7e]+$/.test(value)) {
    return { ok: false, reason: 'an ARN holds only printable ASCII characters (no spaces, no look-alike letters)' };
  }
  const shape = ARN_SHAPE.exec(value);
  if (shape === null) {
    return { ok: false, reason: 'expected arn:<partition>:iam::<account>:role/<name> (or user/<name>)' };
  }
  const [, partition = '', account = '', resource = ''] = shape;
  if (!(PARTITIONS as readonly string[]).includes(partition)) {
    return { ok: false, reason: `unknown partition "${partition}"; expected one of ${PARTITIONS.join(', ')}` };
  }
  const placeholderOk = options.allowPlaceholder === true && account === ACCOUNT_PLACEHOLDER;
  if (!placeholderOk && !ACCOUNT_PATTERN.test(account)) {
    const allowed = options.allowPlaceholder === true ? ` or ${ACCOUNT_PLACEHOLDER}` : '';
    return { ok: false, reason: `account field "${account}" must be 12 digits${allowed}` };
  }
  const p = partition as Partition;
  if (resource === 'root') {
    return { ok: true, arn: { type: 'root', partition: p, account, path: '/', name: '' } };
  }
  const slash = resource.indexOf('/');
  const type = slash < 0 ? resource : resource.slice(0, slash);
  if (type !== 'role' && type !== 'user') {
    return { ok: false, reason: `resource "${resource}" is not role/<name> or user/<name>` };
  }
  const rest = resource.slice(slash + 1);
  const lastSlash = rest.lastIndexOf('/');
  const name = rest.slice(lastSlash + 1);
  const path = lastSlash < 0 ? '/' : `/${rest.slice(0, lastSlash + 1)}`;
  if (!IAM_NAME_PATTERN.test(name)) {
    return { ok: false, reason: `${type} name "${name}" must be 1-64 characters of letters, digits and _+=,.@-` };
  }
  if (!IAM_PATH_PATTERN.test(path) || path.includes('//')) {
    return { ok: false, reason: `path "${path}" is not a valid IAM path` };
  }
  return { ok: true, arn: { type, partition: p, account, path, name } };
}

export function formatIamArn(arn: IamArn): string {
  if (arn.type === 'root') return `arn:${arn.partition}:iam::${arn.account}:root`;
  return `arn:${arn.partition}:iam::${arn.account}:${arn.type}${arn.path}${arn.name}`;
}

/**
 * The ARN of role `roleName` in `account`. Without `path` (`/`), the form aws-auth must hold and the
 * authenticator compares: the path removed. IAM itself names a role with its path.
 */
export function roleArn(partition: Partition, account: string, roleName: string, path = '/'): string {
  return `arn:${partition}:iam::${account}:role${path}${roleName}`;
}

/**
 * Strips the path from a role ARN when it parses; anything else is returned unchanged (the caller
 * validates separately).
 */
export function stripRolePath(value: string): string {
  const parsed = parseIamArn(value);
  if (!parsed.ok || parsed.arn.type !== 'role') return value;
  return roleArn(parsed.arn.partition, parsed.arn.account, parsed.arn.name);
}

/** The key under which the authenticator looks an ARN up: it lower-cases both sides. */
export function arnKey(arn: string): string {
  return arn.toLowerCase();
}
