/**
 * Rendering aws-auth data deterministically: the same entries give the same bytes. Plain scalars are
 * rendered for go-yaml v2's own rules (go-yaml-resolve.ts): the renderer quotes exactly the strings
 * those rules would not read back as themselves.
 */
import { Document, stringify, visit } from 'yaml';
import { BoundedMemo } from '../bounded-memo.js';
import { plainReadsAsString } from '../go-yaml-resolve.js';
import type { RoleMapping, UserMapping } from '../model.js';
import type { AwsAuthKey } from './config-map.js';
import type { Entry } from './entry.js';
import type { MappingKind } from './read-mapping.js';
import { ITEM_HEAD, SIMPLE_ARN, STAND_IN } from './stand-in.js';

const RENDER_OPTIONS = { version: '1.1', lineWidth: 0, minContentWidth: 0, indentSeq: true, aliasDuplicateObjects: false } as const;

/** The strings of a list of entries (or of account IDs), keys aside. */
function valuesOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(valuesOf);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(valuesOf);
  return [];
}

/**
 * Renders a list, double-quoting every string that go-yaml v2 would not read back as that string
 * when plain (`0o17`, `0X1F`, `+0O7`, `09`…). The `yaml` package already quotes what its YAML 1.1
 * schema reads as another type, with double quotes; only the strings it would leave plain change,
 * so what the hub rendered correctly before renders to the same bytes. Exported as the reference
 * that rendering item by item is tested against.
 */
export function renderList(value: unknown[]): string {
  // Entries are fresh objects, never shared: no anchors to look for (a quarter of the cost).
  if (valuesOf(value).every(plainReadsAsString)) return stringify(value, RENDER_OPTIONS);
  const doc = new Document(value, RENDER_OPTIONS);
  visit(doc, {
    Scalar(key, node) {
      if (key !== 'key' && typeof node.value === 'string' && !plainReadsAsString(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(RENDER_OPTIONS);
}

/** Rendered list items by content: a block sequence renders item by item, so a list is its items' texts joined. */
const renderMemo = new BoundedMemo<string>(20_000);

function renderItem(item: RoleMapping | UserMapping): string {
  return renderMemo.get(JSON.stringify(item), () => renderList([item]));
}

/** An item rendered with its simple ARN (see SIMPLE_ARN) as the stand-in, then the ARN put in its place. */
function renderMappingList(items: readonly (RoleMapping | UserMapping)[]): string {
  let out = '';
  for (const item of items) {
    const kind: MappingKind = 'rolearn' in item ? 'role' : 'user';
    const arn = 'rolearn' in item ? item.rolearn : item.userarn;
    const standIn = STAND_IN[kind];
    // Only the first line is replaced, so the stand-in elsewhere in the item changes nothing.
    const template = SIMPLE_ARN.test(arn)
      ? renderItem('rolearn' in item ? { ...item, rolearn: standIn } : { ...item, userarn: standIn })
      : undefined;
    const head = `${ITEM_HEAD[kind]}${standIn}\n`;
    out += template?.startsWith(head) === true ? `${ITEM_HEAD[kind]}${arn}${template.slice(head.length - 1)}` : renderItem(item);
  }
  return out;
}

/**
 * Renders entries into aws-auth data keys. Deterministic: the same entries give the same bytes.
 * Keys without entries are left out (the authenticator reads a missing key as empty).
 */
export function renderAwsAuth(entries: readonly Entry[]): Partial<Record<AwsAuthKey, string>> {
  const roles: RoleMapping[] = [];
  const users: UserMapping[] = [];
  const accounts: string[] = [];
  for (const entry of entries) {
    if (entry.kind === 'role') roles.push({ rolearn: entry.rolearn, username: entry.username, groups: [...entry.groups] });
    else if (entry.kind === 'user') users.push({ userarn: entry.userarn, username: entry.username, groups: [...entry.groups] });
    else accounts.push(entry.account);
  }
  const out: Partial<Record<AwsAuthKey, string>> = {};
  if (roles.length > 0) out.mapRoles = renderMappingList(roles);
  if (users.length > 0) out.mapUsers = renderMappingList(users);
  if (accounts.length > 0) out.mapAccounts = renderList(accounts);
  return out;
}
