/** The simulated IAM: ListRoles (path prefix, MaxItems, markers), in the Query protocol. */
import type { ServerResponse } from 'node:http';
import { authorize } from './aws-authorize.js';
import { type AwsApiContext, decodeMarker, el, encodeMarker, one, sendXml } from './aws-protocol.js';
import { SimError } from './sim-error.js';
import type { Credential, Role } from './world-model.js';

/** A role's `<member>` in ListRoles, written once per role (roles are never changed, only created and deleted). */
const roleMembers = new WeakMap<Role, string>();

function roleMember(r: Role): string {
  let member = roleMembers.get(r);
  if (member === undefined) {
    // Joined from an array: one flat string (a string built by + stays a tree of pieces, which every
    // join of a page would walk again).
    member = [
      '<member>',
      el('Path', r.path),
      el('RoleName', r.name),
      el('RoleId', r.roleId),
      el('Arn', r.arn),
      el('CreateDate', r.createDate.toISOString()),
      el('MaxSessionDuration', r.maxSessionDurationSeconds),
      '</member>',
    ].join('');
    roleMembers.set(r, member);
  }
  return member;
}

export function handleIam(
  ctx: AwsApiContext,
  caller: Credential,
  form: Record<string, string | string[]>,
  res: ServerResponse,
  requestId: string,
): void {
  const action = one(form, 'Action');
  if (action !== 'ListRoles') throw new SimError(400, 'InvalidAction', `Could not find operation ${action ?? ''} for version 2010-05-08`);
  const prefix = one(form, 'PathPrefix') ?? '/';
  const maxItemsText = one(form, 'MaxItems');
  const maxItems = maxItemsText === undefined ? 100 : Number(maxItemsText);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw new SimError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${maxItemsText ?? ''}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
    );
  }
  authorize(ctx.world, caller, 'iam:ListRoles', `arn:${ctx.world.partition}:iam::${caller.account}:role${prefix}`, 'query');
  const marker = one(form, 'Marker');
  const start = marker === undefined ? 0 : decodeMarker(marker);
  const account = ctx.world.accounts.get(caller.account);
  const roles = account === undefined ? [] : [...account.roles.values()].filter((r) => r.path.startsWith(prefix));
  const pageSize = ctx.world.listRolesPageOverride ?? Math.min(maxItems, ctx.world.settings.maxListRolesPageSize);
  const page = roles.slice(start, start + pageSize);
  const truncated = start + pageSize < roles.length;
  const members = page.map(roleMember).join('');
  sendXml(
    res,
    'iam',
    'ListRoles',
    `${el('IsTruncated', truncated)}${truncated ? el('Marker', encodeMarker(start + pageSize)) : ''}<Roles>${members}</Roles>`,
    requestId,
  );
}
