/**
 * The schema of the desired-state file (`config/hub.yaml`). It is the contract: the loader
 * validates with it, and `config/hub.schema.json` is generated from it for editors.
 *
 * Every leaf carries its "allowed form" so an error says what would have been accepted. Checks that
 * span fields run even when other fields failed (`when: always`), so a user sees every problem in
 * one run.
 */
import { z } from 'zod';
import { ACCOUNT_PATTERN, ACCOUNT_PLACEHOLDER, IAM_NAME_PATTERN, PARTITIONS, parseIamArn, REGION_PATTERN, roleArn } from './arn.js';
import { suggestion } from './config-issues.js';
import { addIssue, crossFieldChecks } from './cross-field-checks.js';
import { parseDuration } from './duration.js';
import { VISIBLE_TEXT_PATTERN } from './printable.js';
import { ALLOWED_TEMPLATES_TEXT, checkMappedName, checkUserName, USER_TEMPLATES_TEXT } from './templates.js';

export const API_VERSION = 'eks-auth-hub/v1';

/** Permission set names: 1–32 of `[\w+=,.@-]`, as IAM Identity Center allows. */
export const PERMISSION_SET_PATTERN = /^[\w+=,.@-]{1,32}$/;
export const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;

const always = { when: (): boolean => true };

function show(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  return `${typeof input} ${String(input)}`;
}

/** An error function for a leaf: "required: FORM" or "expected FORM, got X". */
function expect(form: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? `required: ${form}` : `expected ${form}; got ${show(issue.input)}`);
}

function text(form: string): z.ZodString {
  return z.string({ error: expect(form) });
}

const ACCOUNT_FORM = 'a 12-digit AWS account ID in quotes, e.g. "111122223333"';

export const accountId = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `expected ${ACCOUNT_FORM}; got the number ${String(issue.input)} (quote account IDs: YAML drops leading zeros of numbers)`
        : expect(ACCOUNT_FORM)(issue),
  })
  .regex(ACCOUNT_PATTERN)
  .meta({ description: 'AWS account ID: 12 digits, quoted.', examples: ['111122223333'] });

const region = text('an AWS region such as "eu-west-1", "us-gov-west-1" or "cn-north-1"')
  .regex(REGION_PATTERN)
  .meta({ description: 'AWS region of the cluster; it also decides the partition (aws, aws-cn, aws-us-gov).' });

/**
 * Kubernetes' own groups. The `system:` prefix is reserved for them, so any other `system:` group
 * binds nothing: almost always a typo of one of these.
 */
export const KUBERNETES_SYSTEM_GROUPS = [
  'system:masters',
  'system:nodes',
  'system:bootstrappers',
  'system:node-proxier',
  'system:authenticated',
  'system:unauthenticated',
  'system:serviceaccounts',
  'system:monitoring',
] as const;

function checkSystemGroup(group: string): string | undefined {
  if (!group.toLowerCase().startsWith('system:')) return undefined;
  if ((KUBERNETES_SYSTEM_GROUPS as readonly string[]).includes(group) || group.startsWith('system:serviceaccounts:')) return undefined;
  const hint = suggestion(group, KUBERNETES_SYSTEM_GROUPS);
  const known = hint === '' ? `: ${KUBERNETES_SYSTEM_GROUPS.join(', ')}, system:serviceaccounts:<namespace>` : '';
  return `"${group}" is not one of Kubernetes' own groups, which alone may use the system: prefix${hint}${known}`;
}

/**
 * A mapped username or group: printable, templates limited to the authenticator's variables (for a
 * user's username, those it fills for an IAM user).
 */
function mappedName(what: 'username' | 'group', mapping: 'role' | 'user' = 'role'): z.ZodString {
  return text(
    what === 'username'
      ? `a username, optionally with templates ${mapping === 'user' ? USER_TEMPLATES_TEXT : ALLOWED_TEMPLATES_TEXT}`
      : 'a Kubernetes group name such as "system:masters"',
  )
    .check((ctx) => {
      const reason =
        checkMappedName(ctx.value, what) ??
        (what === 'group' ? checkSystemGroup(ctx.value) : mapping === 'user' ? checkUserName(ctx.value) : undefined);
      if (reason !== undefined) ctx.issues.push({ code: 'custom', message: reason, input: ctx.value });
      else if (ctx.value.includes(ACCOUNT_PLACEHOLDER)) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `${ACCOUNT_PLACEHOLDER} is only allowed as an ARN's account field; in a ${what} use {{AccountID}}`,
        });
      }
    })
    .meta({ pattern: VISIBLE_TEXT_PATTERN });
}

const ROLE_ARN_FORM = `arn:<partition>:iam::<12-digit account or ${ACCOUNT_PLACEHOLDER}>:role/<name> without a path`;
const USER_ARN_FORM = `arn:<partition>:iam::<12-digit account or ${ACCOUNT_PLACEHOLDER}>:user/<path/name> or :root`;
const ARN_JSON_PATTERN = `^arn:(${PARTITIONS.join('|')}):iam::([0-9]{12}|\\$ACCOUNTID):`;

function roleArnField(): z.ZodString {
  return text(ROLE_ARN_FORM)
    .check((ctx) => {
      const parsed = parseIamArn(ctx.value, { allowPlaceholder: true });
      if (!parsed.ok) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${parsed.reason}; expected ${ROLE_ARN_FORM}` });
      } else if (parsed.arn.type !== 'role') {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `expected a role ARN (${ROLE_ARN_FORM}); put users under mapUsers` });
      } else if (parsed.arn.path !== '/') {
        const stripped = roleArn(parsed.arn.partition, parsed.arn.account, parsed.arn.name);
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `a role ARN in aws-auth must not carry a path (the authenticator never matches it); write ${stripped}`,
        });
      }
    })
    .meta({ pattern: `${ARN_JSON_PATTERN}role/[\\w+=,.@-]{1,64}$`, examples: ['arn:aws:iam::$ACCOUNTID:role/ci-deployer'] });
}

function userArn(): z.ZodString {
  return text(USER_ARN_FORM)
    .check((ctx) => {
      const parsed = parseIamArn(ctx.value, { allowPlaceholder: true });
      if (!parsed.ok) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${parsed.reason}; expected ${USER_ARN_FORM}` });
      } else if (parsed.arn.type === 'role') {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `expected a user ARN (${USER_ARN_FORM}); put roles under mapRoles` });
      }
    })
    .meta({ pattern: `${ARN_JSON_PATTERN}(user/.+|root)$` });
}

const permissionSetName = text('an IAM Identity Center permission set name: 1-32 of letters, digits and _+=,.@-')
  .regex(PERMISSION_SET_PATTERN)
  .meta({ description: 'Permission set name; resolved per account to its AWSReservedSSO_<name>_<suffix> role.' });

const groups = z
  .array(mappedName('group'), { error: expect('a list of group names') })
  .max(64, { error: 'at most 64 groups per mapping' })
  .optional()
  .meta({ description: 'Kubernetes groups the mapped identity belongs to.' });

const username = mappedName('username').meta({
  description: `Kubernetes username. Templates: ${ALLOWED_TEMPLATES_TEXT}.`,
});

export const roleMappingSchema = z
  .strictObject(
    {
      rolearn: roleArnField().optional().meta({ description: 'IAM role ARN; $ACCOUNTID stands for the cluster account.' }),
      permissionset: permissionSetName.optional(),
      username,
      groups,
    },
    { error: expect('a mapping with rolearn or permissionset, username and groups') },
  )
  .superRefine((value, ctx) => {
    if (typeof value !== 'object' || value === null) return;
    const hasArn = value.rolearn !== undefined;
    const hasSet = value.permissionset !== undefined;
    if (hasArn && hasSet) addIssue(ctx, 'give either rolearn or permissionset, not both', ['permissionset']);
    if (!hasArn && !hasSet) addIssue(ctx, 'required: one of rolearn or permissionset');
  }, always)
  .meta({ description: 'A role mapping; exactly one of rolearn and permissionset.' });

const userUsername = mappedName('username', 'user').meta({
  description: `Kubernetes username. Templates: ${USER_TEMPLATES_TEXT} (an IAM user has no session name).`,
});

export const userMappingSchema = z.strictObject(
  { userarn: userArn(), username: userUsername, groups },
  { error: expect('a mapping with userarn, username and groups') },
);

const mapAccounts = z
  .array(accountId, { error: expect('a list of quoted 12-digit account IDs') })
  .optional()
  .meta({ description: 'Accounts whose IAM users are all mapped to their own ARN (aws-auth mapAccounts).' });

const mappings = {
  mapRoles: z.array(roleMappingSchema, { error: expect('a list of role mappings') }).optional(),
  mapUsers: z.array(userMappingSchema, { error: expect('a list of user mappings') }).optional(),
  mapAccounts,
};

export const clusterSchema = z.strictObject(
  {
    name: text('an EKS cluster name: a letter or digit, then up to 99 of letters, digits, - and _').regex(CLUSTER_NAME_PATTERN),
    account: accountId,
    region,
    ownership: z
      .enum(['full', 'merge'], { error: expect('"full" or "merge"') })
      .default('full')
      .meta({
        description: 'full: the file owns every mapping and hand edits are reverted; merge: only entries the hub wrote are changed.',
      }),
    inheritDefaults: z
      .boolean({ error: expect('true or false') })
      .default(true)
      .meta({ description: 'Whether the defaults apply to this cluster (default true).' }),
    nodeRoles: z
      .array(roleArnField(), { error: expect('a list of role ARNs') })
      .optional()
      .meta({ description: 'Node roles beyond managed nodegroups and Fargate (Karpenter, self-managed nodes).' }),
    ...mappings,
  },
  { error: expect('a cluster mapping with name, account and region') },
);

function durationText(what: string, minMs: number, maxMs: number, range: string): z.ZodString {
  return text('a duration such as "30s", "10m" or "1h30m"').check((ctx) => {
    const ms = parseDuration(ctx.value);
    if (ms === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `expected a duration such as "30s", "10m" or "1h30m"; got ${show(ctx.value)}`,
      });
    } else if (ms < minMs || ms > maxMs) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `${what} must be between ${range}` });
    }
  });
}

function integer(min: number, max: number, description: string): z.ZodNumber {
  return z
    .number({ error: expect(`an integer from ${min} to ${max}`) })
    .int()
    .min(min)
    .max(max)
    .meta({ description });
}

export const hubSettingsSchema = z.strictObject(
  {
    roleName: text('an IAM role name: 1-64 of letters, digits and _+=,.@-')
      .regex(IAM_NAME_PATTERN)
      .meta({ description: 'Role the hub assumes in every target account (arn:<partition>:iam::<account>:role/<roleName>).' }),
    externalId: text('an ExternalId: 2-1224 of letters, digits and _+=,.@:/-')
      .regex(EXTERNAL_ID_PATTERN)
      .optional()
      .meta({ description: 'ExternalId passed to sts:AssumeRole.' }),
    recoveryRoleName: text('an IAM role name: 1-64 of letters, digits and _+=,.@-').regex(IAM_NAME_PATTERN).optional().meta({
      description:
        'Optional role in each target account, used only to restore aws-auth when a write locked the hub out (the role that created the clusters).',
    }),
    sessionName: text('a role session name: 2-64 of letters, digits and _+=,.@-')
      .regex(SESSION_NAME_PATTERN)
      .default('eks-auth-hub')
      .meta({ description: 'Role session name of the hub in target accounts.' }),
    interval: durationText('interval', 10_000, 24 * 3_600_000, '10s and 24h')
      .default('10m')
      .meta({ description: 'Time between passes in run mode.' }),
    requestTimeout: durationText('requestTimeout', 1_000, 300_000, '1s and 5m').default('15s').meta({
      description:
        'No answer from an AWS or Kubernetes endpoint within this long fails that request (and, for a cluster, that cluster for this pass).',
    }),
    passTimeout: durationText('passTimeout', 1_000, 24 * 3_600_000, '1s and 24h')
      .optional()
      .meta({
        description:
          'Deadline of one pass: calls still in flight are then aborted and clusters not finished fail with pass.timeout (the next pass finishes them). Default: the interval, at least 1m.',
      }),
    concurrency: integer(1, 256, 'Clusters in flight at once.').default(16),
    accountConcurrency: integer(1, 64, 'Clusters of one account in flight at once.').default(4),
    guard: z
      .strictObject(
        {
          maxRemovalRatio: z
            .number({ error: expect('a number from 0 to 1') })
            .min(0)
            .max(1)
            .default(0.5)
            .meta({ description: 'Largest share of live entries one write may remove.' }),
        },
        { error: expect('a mapping with maxRemovalRatio') },
      )
      .default({ maxRemovalRatio: 0.5 }),
  },
  {
    error: expect(
      'a mapping with roleName and optional externalId, sessionName, interval, requestTimeout, passTimeout, concurrency, guard',
    ),
  },
);

export const hubFileSchema = z
  .strictObject(
    {
      apiVersion: z.literal(API_VERSION, { error: expect(`"${API_VERSION}"`) }),
      hub: hubSettingsSchema,
      defaults: z
        .strictObject(mappings, { error: expect('a mapping with mapRoles, mapUsers, mapAccounts') })
        .optional()
        .meta({ description: 'Mappings every cluster gets before its own.' }),
      clusters: z.array(clusterSchema, { error: expect('a list of clusters') }).min(1, { error: 'required: at least one cluster' }),
    },
    { error: expect(`a mapping with apiVersion, hub and clusters`) },
  )
  .superRefine((value, ctx) => crossFieldChecks(value, ctx), always)
  .meta({ title: 'eks-auth-hub desired state', description: 'Desired aws-auth mappings for every EKS cluster.' });

export type HubFileInput = z.input<typeof hubFileSchema>;
export type HubFile = z.output<typeof hubFileSchema>;

/** The JSON Schema of the file, for editors (`config/hub.schema.json`). */
export function hubJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(hubFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
